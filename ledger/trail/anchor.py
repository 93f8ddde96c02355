"""The anchoring worker: puts a body's access events on-chain, exactly once.

"batched" (default): consecutive events become one anchor, the root of their
StandardMerkleTree (:mod:`ledger.trail.proofs`), sent when ``batch_size`` events wait or the
oldest has waited ``interval`` seconds. "immediate": each event in its own transaction.

Crash safety. The chain's ``lastSequence(body)`` is the truth about what is anchored; the
contract refuses an anchor that does not start right after it, so nothing is anchored twice.
A batch is written to ``trail_anchors`` as *prepared* (range and root) before its
transaction is sent, and its transaction hash is stored once sent: after a crash the same
batch is re-sent (or its mined transaction found), never a different one over the same range.

Failures (chain down, a reverted transaction, a gap in the database) are retried with
exponential backoff and kept in :attr:`TrailAnchorer.status`, which ``/health`` and
``/metrics`` report. An anchor the chain holds but this database does not is reported,
not repaired: the audit must see it.

Chain faults heal here. A sent transaction still not mined after ``stuck_after`` seconds (queued
behind a nonce the chain no longer has, say) is replaced: the account's nonce is re-read from
the chain and the same anchor sent again. A chain that lost anchors it had confirmed (a
development node restarted from an older state) is seen when its ``lastSequence`` falls below
what this database recorded as anchored: those anchors go back to *prepared*, are sent again with
the same ranges and roots, and the contract's sequence check keeps it to exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Literal

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from ledger.chain.deploy import Contracts
from ledger.errors import AnchorError
from ledger.store.models import TrailAnchor, utcnow
from ledger.store.trail import Trail
from ledger.trail.proofs import batch_root

log = logging.getLogger(__name__)

Mode = Literal["batched", "immediate"]
#: Gas limit of one anchoring transaction: its cost does not depend on the batch's size, and a
#: fixed limit lets the next batch be sent while the previous one is still pending.
ANCHOR_GAS = 120_000
PREPARED, ANCHORED = "prepared", "anchored"
#: With nothing waiting here, the chain is still asked this often (another worker of the node may anchor).
IDLE_POLL = 5.0


@dataclass
class AnchorStatus:
    anchored_through: int = 0  # the chain's last anchored sequence number, as last seen
    latest_seq: int = 0
    consecutive_failures: int = 0
    failures_total: int = 0
    last_error: str | None = None
    failing_since: float | None = None  # Unix time
    replaced_total: int = 0  # stuck transactions replaced
    rewinds_total: int = 0  # times the chain was found to have lost confirmed anchors

    def as_json(self) -> dict[str, object]:
        return {
            "anchoredThrough": self.anchored_through,
            "latestSeq": self.latest_seq,
            "unanchored": max(0, self.latest_seq - self.anchored_through),
            "consecutiveFailures": self.consecutive_failures,
            "lastError": self.last_error,
            "failingSince": self.failing_since,
            "replacedTotal": self.replaced_total,
            "rewindsTotal": self.rewinds_total,
        }


class TrailAnchorer:
    def __init__(
        self,
        trail: Trail,
        contracts: Contracts,
        account: LocalAccount,
        *,
        mode: Mode = "batched",
        batch_size: int = 1_000,
        interval: float = 1.0,
        max_backoff: float = 30.0,
        stuck_after: float = 30.0,
    ) -> None:
        if batch_size < 1 or interval < 0 or stuck_after <= 0:
            raise ValueError("batch_size must be >= 1, interval >= 0 and stuck_after > 0")
        self.trail, self.c, self.account = trail, contracts, account
        self.mode, self.batch_size, self.interval, self.max_backoff = mode, batch_size, interval, max_backoff
        self.stuck_after = stuck_after
        self._sent_at: dict[str, float] = {}  # transaction hash -> when this process first saw it pending
        self.body = trail.body
        self.status = AnchorStatus()
        self._next_try = 0.0
        self._chain_asked = -IDLE_POLL
        self._lock = threading.Lock()

    @property
    def _body_bytes(self) -> bytes:
        return bytes(HexBytes(self.body))

    # ----------------------------------------------------------------- one step

    def step(self) -> None:
        """Settles mined anchors and sends what is due."""
        with self._lock:
            st = self.status
            st.latest_seq = self.trail.last_seq()  # first: the backlog shows while the chain is down
            with Session(self.trail.engine, expire_on_commit=False) as s:
                prepared = self._rows(s, PREPARED)
            if not prepared and st.latest_seq <= st.anchored_through and time.monotonic() - self._chain_asked < IDLE_POLL:
                return  # nothing waits: no need to ask the chain ten times a second
            asked = time.monotonic()
            chain_last = self.c.trail.last_sequence(self._body_bytes)
            if self._rewound(chain_last):
                with Session(self.trail.engine, expire_on_commit=False) as s:
                    prepared = self._rows(s, PREPARED)
            st.anchored_through = chain_last
            if st.latest_seq < chain_last:
                raise AnchorError(
                    f"the chain has anchored this body's trail up to {chain_last}, but this database "
                    f"holds events only up to {st.latest_seq}: events are missing here"
                )
            self._settle(chain_last, prepared)
            self._send_due(chain_last)
            self._chain_asked = asked  # only a clean step lets the next ones rest (a failure is re-checked)

    def _rewound(self, chain_last: int) -> bool:
        """Anchors this database saw confirmed that the chain no longer holds go back to *prepared*."""
        with Session(self.trail.engine, expire_on_commit=False) as s, s.begin():
            lost = list(
                s.exec(
                    select(TrailAnchor).where(
                        TrailAnchor.body == self.body, TrailAnchor.state == ANCHORED, TrailAnchor.last_seq > chain_last
                    )
                ).all()
            )
            for row in lost:
                row.state, row.tx_hash, row.block, row.anchored_at = PREPARED, None, None, None
                row.last_error = f"the chain lost this anchor (it now ends at {chain_last}); sending it again"
                s.add(row)
        if lost:
            self.status.rewinds_total += 1
            self.c.chain.sender.nonces.reset()  # the chain's nonces went back with it
            log.warning(
                "the chain lost anchors of events %d..%d (it rewound to sequence %d): sending them again",
                lost[0].first_seq,
                lost[-1].last_seq,
                chain_last,
            )
        return bool(lost)

    def _rows(self, s: Session, state: str) -> list[TrailAnchor]:
        q = select(TrailAnchor).where(TrailAnchor.body == self.body, TrailAnchor.state == state)
        return list(s.exec(q.order_by(col(TrailAnchor.first_seq))).all())

    def _settle(self, chain_last: int, prepared: list[TrailAnchor]) -> None:
        """Marks prepared anchors the chain now holds as anchored (checking the chain has our root)."""
        with Session(self.trail.engine) as s:
            covered = int(
                s.exec(
                    select(func.max(TrailAnchor.last_seq)).where(
                        TrailAnchor.body == self.body, TrailAnchor.state == ANCHORED
                    )
                ).one()
                or 0
            )
        for row in prepared:
            if row.last_seq > chain_last:
                break
            tx, block, root = self._find_on_chain(row)
            if root != row.root:
                raise AnchorError(
                    f"the chain holds another root for events {row.first_seq}..{row.last_seq} "
                    f"({root}) than this database ({row.root})"
                )
            with Session(self.trail.engine, expire_on_commit=False) as s, s.begin():
                fresh = s.get(TrailAnchor, (self.body, row.first_seq))
                assert fresh is not None
                fresh.state, fresh.tx_hash, fresh.block, fresh.anchored_at = ANCHORED, tx, block, utcnow()
                fresh.last_error = None
            self.c.chain.sender.confirmed(block)
            covered = row.last_seq
        if chain_last > covered and not any(r.first_seq == covered + 1 for r in prepared):
            raise AnchorError(
                f"the chain holds anchors of this body up to {chain_last}, but this database records "
                f"anchors only up to {covered}: its anchor rows were lost or removed"
            )

    def _find_on_chain(self, row: TrailAnchor) -> tuple[str, int, str]:
        """The transaction, block and root that anchored ``row``'s range on-chain."""
        if row.tx_hash:
            receipt = self.c.chain.blocks.receipt(str(row.tx_hash))
            found = self._anchor_logs_of(receipt) if receipt is not None else None
            if found is not None:
                return found
        handle = self.c.trail.handle
        from_block = self.c.chain.manifest.deploy_block if self.c.chain.manifest else 0
        if row.kind == "event":
            logs = handle.logs("AccessEventAnchored", from_block=from_block, body=self._body_bytes, seq=row.first_seq)
            key = "eventHash"
        else:
            logs = handle.logs("AccessBatchAnchored", from_block=from_block, body=self._body_bytes, firstSeq=row.first_seq)
            key = "root"
        if not logs:
            raise AnchorError(
                f"the chain's last sequence covers {row.first_seq}..{row.last_seq} but no anchor log starts there"
            )
        e = logs[0]
        return HexBytes(e["transactionHash"]).to_0x_hex(), int(e["blockNumber"]), "0x" + bytes(e[key]).hex()

    def _anchor_logs_of(self, receipt: object) -> tuple[str, int, str] | None:
        handle = self.c.trail.handle
        for event, key in (("AccessBatchAnchored", "root"), ("AccessEventAnchored", "eventHash")):
            for args in handle.events(receipt, event):  # type: ignore[arg-type]
                if "0x" + bytes(args["body"]).hex() == self.body:
                    return (
                        HexBytes(receipt["transactionHash"]).to_0x_hex(),  # type: ignore[index]
                        int(receipt["blockNumber"]),  # type: ignore[index]
                        "0x" + bytes(args[key]).hex(),
                    )
        return None

    def _send_due(self, chain_last: int) -> None:
        with Session(self.trail.engine, expire_on_commit=False) as s:
            prepared = self._rows(s, PREPARED)
        # Transactions sent but not mined: still pending, or lost (node restarted, reverted)?
        for row in prepared:
            if row.tx_hash and self._lost(row.tx_hash):
                self._set_tx(row, None, error="transaction lost or reverted; sending again")
                row.tx_hash = None
            elif row.tx_hash and self._stuck(row.tx_hash):
                stuck = row.tx_hash
                replacement = self.c.chain.sender.replace(
                    self.account, stuck, self.c.trail.handle.address, self._calldata(row), gas=ANCHOR_GAS
                ).to_0x_hex()
                self.status.replaced_total += 1
                self._sent_at[replacement] = time.monotonic()
                log.warning(
                    "anchor of events %d..%d: transaction %s not mined in %.0fs; replaced by %s",
                    row.first_seq,
                    row.last_seq,
                    stuck,
                    self.stuck_after,
                    replacement,
                )
                self._set_tx(
                    row,
                    replacement,
                    error=f"transaction {stuck} not mined in {self.stuck_after:.0f}s; replaced by {replacement}",
                )
                row.tx_hash = replacement
        waiting = {row.tx_hash for row in prepared if row.tx_hash}
        for tx in [t for t in self._sent_at if t not in waiting]:
            del self._sent_at[tx]
        for row in prepared:
            if row.tx_hash is None:
                self._send(row)
        after = prepared[-1].last_seq if prepared else chain_last
        new = self._prepare_next(after)
        if new is not None:
            self._send(new)

    def _stuck(self, tx_hash: str) -> bool:
        """Pending for longer than ``stuck_after`` (counted from when this process first saw it)."""
        first = self._sent_at.setdefault(tx_hash, time.monotonic())
        return time.monotonic() - first > self.stuck_after

    def _lost(self, tx_hash: str) -> bool:
        receipt = self.c.chain.blocks.receipt(tx_hash)
        if receipt is not None:
            return int(receipt["status"]) != 1
        return not self.c.chain.blocks.known(tx_hash)  # known and not mined: pending

    def _prepare_next(self, after: int) -> TrailAnchor | None:
        """Prepares the next anchor after sequence ``after`` if one is due."""
        latest = self.status.latest_seq
        if latest <= after:
            return None
        first = after + 1
        if self.mode == "immediate":
            last = first
        else:
            oldest = self.trail.get(first)
            if oldest is None:
                raise AnchorError(f"access event {first} is missing from this database: the trail has a gap")
            if latest - after < self.batch_size and time.time() - oldest.at.timestamp() < self.interval:
                return None
            last = min(latest, after + self.batch_size)
        events = self.trail.between(first, last)
        if [e.seq for e in events] != list(range(first, last + 1)):
            present = {e.seq for e in events}
            gap = next(q for q in range(first, last + 1) if q not in present)
            raise AnchorError(f"access event {gap} is missing from this database: the trail has a gap")
        root = events[0].event_hash if self.mode == "immediate" else batch_root(events)
        row = TrailAnchor(
            body=self.body,
            first_seq=first,
            last_seq=last,
            root=root,
            kind="event" if self.mode == "immediate" else "batch",
            state=PREPARED,
        )
        try:
            with Session(self.trail.engine, expire_on_commit=False) as s, s.begin():
                s.add(row)
        except IntegrityError:
            return None  # another worker of this node prepared it: it will be settled from the chain
        return row

    def _calldata(self, row: TrailAnchor) -> bytes:
        handle = self.c.trail.handle
        root = bytes(HexBytes(row.root))
        return (
            handle.encode("anchorEvent", row.first_seq, root)
            if row.kind == "event"
            else handle.encode("anchorBatch", row.first_seq, row.last_seq, root)
        )

    def _send(self, row: TrailAnchor) -> None:
        tx_hash = self.c.chain.sender.submit(self.account, self.c.trail.handle.address, self._calldata(row), gas=ANCHOR_GAS)
        self._sent_at[tx_hash.to_0x_hex()] = time.monotonic()
        self._set_tx(row, tx_hash.to_0x_hex())

    def _set_tx(self, row: TrailAnchor, tx_hash: str | None, *, error: str | None = None) -> None:
        with Session(self.trail.engine, expire_on_commit=False) as s, s.begin():
            fresh = s.get(TrailAnchor, (self.body, row.first_seq))
            if fresh is None:
                return
            fresh.tx_hash = tx_hash
            fresh.attempts += 1 if tx_hash else 0
            if error:
                fresh.last_error = error[:500]

    # ---------------------------------------------------------------- the loop

    def run_once(self) -> bool:
        """One step with failure accounting and backoff; False if it failed (or is backing off)."""
        if time.monotonic() < self._next_try:
            return False
        try:
            self.step()
        except Exception as exc:  # noqa: BLE001 — every failure is counted, logged and retried with backoff
            st = self.status
            st.consecutive_failures += 1
            st.failures_total += 1
            st.last_error = f"{type(exc).__name__}: {exc}"[:300]
            st.failing_since = st.failing_since or time.time()
            delay = min(self.max_backoff, 0.25 * 2 ** min(st.consecutive_failures, 10))
            self._next_try = time.monotonic() + delay
            log.warning(
                "trail anchoring failed (%d in a row), next try in %.1fs: %s", st.consecutive_failures, delay, st.last_error
            )
            return False
        st = self.status
        st.consecutive_failures, st.last_error, st.failing_since = 0, None, None
        return True

    def run(self, stop: threading.Event, poll: float = 0.1) -> None:
        """Anchors until ``stop`` is set."""
        while not stop.is_set():
            self.run_once()
            stop.wait(poll)

    def drain(self, timeout: float = 60.0) -> None:
        """Steps until every event so far is anchored and settled (tools and tests)."""
        deadline = time.monotonic() + timeout
        saved = self.interval
        self.interval = 0.0
        try:
            while time.monotonic() < deadline:
                if self.run_once() and self.settled():
                    return
                time.sleep(0.05)
        finally:
            self.interval = saved
        raise AnchorError(f"the trail was not fully anchored within {timeout:.0f}s: {self.status.last_error}")

    def settled(self) -> bool:
        with Session(self.trail.engine, expire_on_commit=False) as s:
            if self._rows(s, PREPARED):
                return False
        return self.status.anchored_through >= self.trail.last_seq()

    def report(self) -> dict[str, object]:
        """The status, with the latest sequence number read now (the worker's may be a step old)."""
        self.status.latest_seq = max(self.status.latest_seq, self.trail.last_seq())
        return self.status.as_json()

    def overdue(self, grace: float, now: float | None = None) -> float:
        """Seconds by which the oldest event not yet anchored has passed its ``anchorBy`` (0: none has)."""
        oldest = self.trail.get(self.status.anchored_through + 1)
        if oldest is None:
            return 0.0
        return max(0.0, (time.time() if now is None else now) - self.anchor_by(oldest.at, grace))

    def anchor_by(self, at: dt.datetime, grace: float = 30.0) -> int:
        """The time by which an event written at ``at`` will be anchored, absent failures (Unix seconds)."""
        wait = 0.0 if self.mode == "immediate" else self.interval
        return int(at.timestamp() + wait + grace) + 1
