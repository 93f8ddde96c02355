"""The anchoring outbox: every on-chain action of the store, sent at least once, applied once.

A record is stored and its outbox entry written in one database transaction; only then is
the transaction sent. A crash between the two leaves a pending entry that the next run
finishes (``ledger records anchor``, or any records command of the same account). Anchoring
is idempotent per (record, version): before sending, the chain is asked whether the action
is already there (a crash after sending, or another worker), and the contract itself
refuses a second registration or a version out of order.

One account's entries are sent by one process at a time (:meth:`Anchorer.exclusive`: a lock per
account, a PostgreSQL advisory lock or a lock file beside the SQLite database, released by the
operating system if the process dies), so concurrent commands of one officer never send the same
entry twice. An account that signs its own transactions sends its entries pipelined: a chunk of
transactions with consecutive nonces, then their receipts, several per block. An entry is marked
as attempted before its transaction leaves; only those are looked up on the chain first when a
run resumes after a crash.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from eth_utils import keccak
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from ledger import failpoints
from ledger.chain.blocks import TxReceipt
from ledger.chain.client import Actor, DirectActor, Relayer
from ledger.chain.deploy import Contracts
from ledger.chain.records import RecordStatus
from ledger.chain.transactions import KeyedLocks
from ledger.crypto.eip712 import TypedData
from ledger.errors import ChainUnavailable, ContractRevert, LedgerError, NotFound
from ledger.ids import code_id
from ledger.store.models import AnchorState, OutboxAction, OutboxEntry, Record, RecordVersion, utcnow

#: Transactions sent back to back before their receipts are awaited.
PIPELINE = 200


@dataclass
class AnchorReport:
    anchored: list[tuple[str, int, str]] = field(default_factory=list)  # (record id, version, action)
    failed: list[tuple[str, int, str]] = field(default_factory=list)  # (record id, version, error code)
    pending: int = 0  # left for later: the chain is unreachable


class Anchorer:
    def __init__(self, engine: Engine, contracts: Contracts) -> None:
        self.engine = engine
        self.c = contracts
        self._threads = KeyedLocks()

    def pending(self, actor_address: str | None = None, *, record_id: str | None = None) -> list[OutboxEntry]:
        with Session(self.engine) as s:
            q = select(OutboxEntry).where(OutboxEntry.state == AnchorState.PENDING)
            if actor_address is not None:
                q = q.where(OutboxEntry.actor == actor_address)
            if record_id is not None:
                q = q.where(OutboxEntry.record_id == record_id)
            return list(s.exec(q.order_by(col(OutboxEntry.id))).all())

    def pending_count(self) -> int:
        with Session(self.engine) as s:
            q = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state == AnchorState.PENDING)
            return int(s.exec(q).one())

    @contextlib.contextmanager
    def exclusive(self, address: str) -> Iterator[None]:
        """Held while ``address``'s entries are sent: one process and thread at a time."""
        with self._threads.lock(address.lower()):
            if self.engine.dialect.name == "postgresql":
                key = int.from_bytes(keccak(b"civic-ledger/outbox/" + address.lower().encode())[:8], "big", signed=True)
                with self.engine.connect() as conn:
                    conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                    try:
                        yield
                    finally:
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                        conn.commit()
                return
            path = self.engine.url.database if self.engine.dialect.name == "sqlite" else None
            if not path or path == ":memory:":
                yield
                return
            with open(f"{path}.outbox-{address.lower()}.lock", "a+b") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(f, fcntl.LOCK_UN)

    def run(self, actor: Actor, *, progress: Callable[[int, int], None] | None = None) -> AnchorReport:
        """Sends ``actor``'s pending entries in the order they were written (pipelined when the actor signs
        its own transactions); ``progress(done, total)`` is told as they are confirmed."""
        with self.exclusive(actor.address):
            entries = self.pending(actor.address)  # read under the lock: what another run sent is done
            if isinstance(actor, DirectActor) and len(entries) > 1:
                return self._pipelined(entries, actor, progress)
            return self._one_by_one(entries, actor)

    def _one_by_one(self, entries: list[OutboxEntry], actor: Actor) -> AnchorReport:
        report = AnchorReport()
        for i, entry in enumerate(entries):
            try:
                error = self._anchor(entry, actor)
            except ChainUnavailable:
                report.pending = len(entries) - i
                break
            target = report.failed if error else report.anchored
            target.append((entry.record_id, entry.version, error or entry.action.value))
        return report

    def _anchor(self, entry: OutboxEntry, actor: Actor) -> str | None:
        """Anchors one entry; returns an error code when the chain refuses it for good."""
        found = self._on_chain(entry)
        if found is None:
            try:
                receipt = self._send(entry, actor)
            except ContractRevert as exc:
                found = self._on_chain(entry)  # anchored meanwhile by another worker?
                if found is None:
                    self._finish(entry, AnchorState.FAILED, error=f"{exc.code}: {exc.message}"[:500])
                    return exc.code
            else:
                failpoints.hit("anchor.after_send")
                found = (receipt["transactionHash"].to_0x_hex(), int(receipt["blockNumber"]))
        self._finish(entry, AnchorState.ANCHORED, tx=found)
        return None

    def _pipelined(
        self, entries: list[OutboxEntry], actor: DirectActor, progress: Callable[[int, int], None] | None
    ) -> AnchorReport:
        """Sends the entries in chunks: each chunk's transactions back to back (consecutive nonces, one fee
        look-up, one gas figure per function), then its receipts. Versions of one record go in order, as
        the contract requires, because a record's later change is staged only once its earlier one is
        anchored."""
        report = AnchorReport()
        sender, handle = actor.chain.sender, self.c.records.handle
        gas: dict[str, int] = {}
        done = 0
        for start in range(0, len(entries), PIPELINE):
            chunk = entries[start : start + PIPELINE]
            try:
                # entries attempted before (a crash after sending?) are looked up on the chain first, once
                # the account's transactions still in flight are mined: else one would be sent again
                if any(e.attempts for e in chunk):
                    self._settle_in_flight(actor)
                found = {e.id: f for e in chunk if e.attempts and (f := self._on_chain(e)) is not None}
                todo = [e for e in chunk if e.id not in found]
                self._attempted(todo)
                fees = sender.fees() if todo else {}
                calls = []
                for fn, args in self.calls_of(todo):
                    data = handle.encode(fn, *args)
                    if fn not in gas:  # the same function costs about the same: estimated once, refused here
                        gas[fn] = sender.gas_for({"from": actor.address, "to": handle.address, "data": data})
                    calls.append((handle.address, data, gas[fn]))
                hashes = sender.submit_many(actor.account, calls, fees) if calls else []
                failpoints.hit("anchor.after_send")
                results: dict[int | None, tuple[str, int] | str] = dict(found)
                for entry, mined in zip(todo, sender.wait_many(hashes), strict=True):
                    if isinstance(mined, LedgerError):
                        on_chain = self._on_chain(entry)
                        results[entry.id] = on_chain if on_chain is not None else f"{mined.code}: {mined.message}"[:500]
                    else:
                        results[entry.id] = (mined["transactionHash"].to_0x_hex(), int(mined["blockNumber"]))
            except ChainUnavailable:
                report.pending = len(entries) - start
                break
            self._finish_many([(e, results[e.id]) for e in chunk])
            for e in chunk:
                outcome = results[e.id]
                if isinstance(outcome, str):
                    report.failed.append((e.record_id, e.version, outcome.split(":")[0]))
                else:
                    report.anchored.append((e.record_id, e.version, e.action.value))
            done += len(chunk)
            if progress is not None:
                progress(done, len(entries))
        return report

    def _settle_in_flight(self, actor: DirectActor, timeout: float = 120.0) -> None:
        """Waits until every transaction ``actor`` sent is mined (its pending nonce is its latest)."""
        deadline = time.monotonic() + timeout
        while actor.chain.blocks.in_flight(actor.address):
            if time.monotonic() > deadline:
                raise ChainUnavailable(f"{actor.address}'s transactions are still pending after {timeout:.0f}s")
            time.sleep(0.2)

    def _attempted(self, entries: list[OutboxEntry]) -> None:
        """Marks the entries attempted, before their transactions leave (a resumed run checks those first)."""
        if not entries:
            return
        with Session(self.engine) as s, s.begin():
            s.execute(
                update(OutboxEntry)
                .where(col(OutboxEntry.id).in_([e.id for e in entries]))
                .values(attempts=OutboxEntry.attempts + 1)
            )

    def _finish_many(self, outcomes: list[tuple[OutboxEntry, tuple[str, int] | str]]) -> None:
        """Records each entry's outcome (its anchoring transaction, or the chain's refusal) in one transaction."""
        with Session(self.engine) as s, s.begin():
            for entry, outcome in outcomes:
                state = AnchorState.FAILED if isinstance(outcome, str) else AnchorState.ANCHORED
                self._record_outcome(
                    s,
                    entry,
                    state,
                    tx=None if isinstance(outcome, str) else outcome,
                    error=outcome if isinstance(outcome, str) else None,
                )

    def _send(self, entry: OutboxEntry, actor: Actor) -> TxReceipt:
        fn, args = self.call_of(entry)
        return actor.send(self.c.records.handle, fn, *args)

    def prepare(self, entry: OutboxEntry, relayer: Relayer) -> TypedData:
        """The EIP-712 request the entry's actor signs to anchor it (prepare → sign → submit)."""
        fn, args = self.call_of(entry)
        return relayer.prepare(entry.actor, self.c.records.handle, fn, *args)

    def settle(self, actor_address: str) -> AnchorReport:
        """Marks anchored the pending entries of ``actor_address`` that the chain now has
        (after the person's own signed request was relayed)."""
        report = AnchorReport()
        for entry in self.pending(actor_address):
            found = self._on_chain(entry)
            if found is None:
                report.pending += 1
                continue
            self._finish(entry, AnchorState.ANCHORED, tx=found)
            report.anchored.append((entry.record_id, entry.version, entry.action.value))
        return report

    def calls_of(self, entries: list[OutboxEntry]) -> list[tuple[str, tuple[Any, ...]]]:
        """:meth:`call_of` for many entries, read in one query each for versions and records."""
        if not entries:
            return []
        ids = list({e.record_id for e in entries})
        with Session(self.engine) as s:
            versions = {
                (v.record_id, v.version): v.commitment
                for v in s.exec(select(RecordVersion).where(col(RecordVersion.record_id).in_(ids))).all()
            }
            records = {r.record_id: r for r in s.exec(select(Record).where(col(Record.record_id).in_(ids))).all()}
        out: list[tuple[str, tuple[Any, ...]]] = []
        for e in entries:
            rid, commitment = bytes.fromhex(e.record_id[2:]), bytes.fromhex(versions.get((e.record_id, e.version), "0x")[2:])
            if e.action is OutboxAction.REGISTER:
                r = records[e.record_id]
                out.append(("registerRecord", (rid, bytes.fromhex(r.subject_id[2:]), code_id(r.category), commitment)))
            elif e.action is OutboxAction.UPDATE:
                out.append(("updateRecord", (rid, e.version, commitment)))
            else:
                out.append(("eraseRecord", (rid,)))
        return out

    def call_of(self, entry: OutboxEntry) -> tuple[str, tuple[Any, ...]]:
        """The RecordRegistry function and arguments that anchor ``entry``."""
        rid = bytes.fromhex(entry.record_id[2:])
        with Session(self.engine) as s:
            row = s.get(RecordVersion, (entry.record_id, entry.version))
            commitment = bytes.fromhex(row.commitment[2:]) if row else b""
            record = s.get(Record, entry.record_id)
        if entry.action is OutboxAction.REGISTER:
            assert record is not None
            return "registerRecord", (rid, bytes.fromhex(record.subject_id[2:]), code_id(record.category), commitment)
        if entry.action is OutboxAction.UPDATE:
            return "updateRecord", (rid, entry.version, commitment)
        return "eraseRecord", (rid,)

    def _on_chain(self, entry: OutboxEntry) -> tuple[str, int] | None:
        """(tx hash, block) of the event that already anchored ``entry``, if the chain has it."""
        rid = bytes.fromhex(entry.record_id[2:])
        try:
            state = self.c.records.get_record(rid)
        except NotFound:
            return None
        erase = entry.action is OutboxAction.ERASE
        if erase and state.status is not RecordStatus.ERASED:
            return None
        if not erase and state.version < entry.version:
            return None
        from_block = self.c.chain.manifest.deploy_block if self.c.chain.manifest else 0
        event = self.c.records.anchoring_event(rid, entry.version, erased=erase, from_block=from_block)
        if event is None:
            return None
        return str(event["transactionHash"].to_0x_hex()), int(str(event["blockNumber"]))  # type: ignore[attr-defined]

    def _finish(
        self, entry: OutboxEntry, state: AnchorState, *, tx: tuple[str, int] | None = None, error: str | None = None
    ) -> None:
        with Session(self.engine) as s, s.begin():
            self._record_outcome(s, entry, state, tx=tx, error=error)

    def _record_outcome(
        self, s: Session, entry: OutboxEntry, state: AnchorState, *, tx: tuple[str, int] | None, error: str | None
    ) -> None:
        row = s.get(OutboxEntry, entry.id)
        assert row is not None
        row.state, row.attempts, row.last_error, row.done_at = state, row.attempts + 1, error, utcnow()
        if tx:
            row.tx_hash = tx[0]
        if entry.action is not OutboxAction.ERASE:
            version = s.get(RecordVersion, (entry.record_id, entry.version))
            if version is not None:
                version.anchor_state = state
                if tx:
                    version.anchor_tx, version.anchor_block = tx
