"""The chain indexer: follows the contracts' events into SQL, so trails and dashboards read
the database, not the chain.

Each step reads the logs of a block range and applies them **in one database transaction**
with the cursor (the last block applied and its hash): a crash leaves either the whole
range applied or none of it, and a restart continues from the cursor. The journal
(``chain_logs``) is keyed by block and log index, so a log is never counted twice.

Reorgs and rewinds: only blocks at least ``depth`` below the head are read (0 on QBFT, whose
blocks are final). Before each step the cursor's block hash is compared with the chain's. A
mismatch, or a cursor past the head, means the chain no longer has blocks this index applied:
a reorg deeper than ``depth``, or a development node restarted from an older saved state. The
indexer then finds the last block of its journal the chain still has, drops what came after,
rebuilds the projections from the journal up to there (no chain calls), and follows the chain
again from that block — by itself, with a warning in the log, a count in ``/health`` and
``/metrics``, and never a history the chain no longer has.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from eth_utils import event_abi_to_log_topic
from hexbytes import HexBytes
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from ledger.chain.client import Chain, jsonable
from ledger.errors import IndexerError
from ledger.index.models import ChainCursor, ChainLog, IxAnchor, IxBody, IxEmergency, IxGrant, IxMember, IxRequest

log = logging.getLogger(__name__)

CURSOR = "main"
EVENTS: dict[str, tuple[str, ...]] = {
    "BodyRegistry": ("BodyAdmitted", "BodyRemoved", "MemberAdded", "MemberRolesChanged", "MemberRemoved"),
    "AccessRegistry": (
        "AccessRequested",
        "RequestApproved",
        "RequestDenied",
        "RequestCancelled",
        "GrantCreated",
        "GrantRevoked",
        "EmergencyDeclared",
        "EmergencyReviewed",
    ),
    "AccessTrail": ("AccessEventAnchored", "AccessBatchAnchored"),
}


@dataclass(frozen=True)
class Decoded:
    contract: str
    event: str
    args: dict[str, Any]
    block: int
    log_index: int
    tx_hash: str
    block_hash: str


class Indexer:
    def __init__(self, engine: Engine, chain: Chain, *, from_block: int = 0, depth: int = 0, page: int = 2_000) -> None:
        self.engine, self.chain = engine, chain
        self.from_block, self.depth, self.page = from_block, depth, page
        self._topics: dict[tuple[str, bytes], tuple[str, Any]] = {}
        self._addresses: list[str] = []
        for contract, names in EVENTS.items():
            handle = chain.contract(contract)
            self._addresses.append(handle.address)
            for name in names:
                event = getattr(handle.contract.events, name)()
                self._topics[(handle.address.lower(), event_abi_to_log_topic(event.abi))] = (contract, event)
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.rewinds = 0
        self.last_rewind: dict[str, Any] | None = None

    # ------------------------------------------------------------------- following

    def cursor(self) -> tuple[int, str | None]:
        with Session(self.engine) as s:
            c = s.get(ChainCursor, CURSOR)
            return (c.block, c.block_hash) if c else (self.from_block - 1, None)

    def sync(self, to_block: int | None = None) -> int:
        """Applies every block up to ``to_block`` (default: head minus depth); returns logs applied."""
        with self._lock:
            head = self.chain.blocks.head() - self.depth
            target = head if to_block is None else min(to_block, head)
            applied = 0
            while True:
                last, last_hash = self.cursor()
                if last_hash is not None and self._hash_at(last, head + self.depth) != last_hash:
                    self._rewind(last, head + self.depth)
                    continue
                if last >= target:
                    break
                end = min(target, last + self.page)
                applied += self._apply_range(last + 1, end)
            self.last_error = None
            return applied

    def _hash_at(self, number: int, head: int) -> str | None:
        """The chain's hash of block ``number``, or None if the chain is shorter than that now."""
        if number > head:
            return None
        block = self.chain.blocks.block(number)
        return block.hash if block is not None else None

    def _rewind(self, last: int, head: int) -> None:
        """Back to the last journalled block the chain still has; the projections rebuilt from the journal."""
        with Session(self.engine) as s:
            blocks = s.exec(
                select(ChainLog.block, ChainLog.block_hash)
                .where(ChainLog.block <= last)
                .distinct()
                .order_by(col(ChainLog.block).desc())
            ).all()
        common = self.from_block - 1
        for block, block_hash in blocks:
            if self._hash_at(block, head) == block_hash:
                common = block
                break
        common_hash = self._hash_at(common, head) if common >= self.from_block else None
        with Session(self.engine) as s, s.begin():
            _one_writer(s)
            dropped = len(s.exec(select(ChainLog.block).where(ChainLog.block > common)).all())
            s.exec(delete(ChainLog).where(col(ChainLog.block) > common))
            for table in (IxAnchor, IxEmergency, IxGrant, IxRequest, IxMember, IxBody):
                s.exec(delete(table))
            s.flush()
            for row in s.exec(select(ChainLog).order_by(col(ChainLog.block), col(ChainLog.log_index))).all():
                _project(
                    s,
                    Decoded(
                        row.contract, row.event, json.loads(row.args), row.block, row.log_index, row.tx_hash, row.block_hash
                    ),
                    row.at,
                )
                s.flush()
            cursor = s.get(ChainCursor, CURSOR)
            if cursor is not None:
                cursor.block, cursor.block_hash = common, common_hash  # type: ignore[assignment]
                s.add(cursor)
        self.rewinds += 1
        self.last_rewind = {
            "from": last,
            "to": common,
            "logsDropped": dropped,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        self.chain.sender.nonces.reset()  # the accounts' nonces went back with the chain
        log.warning(
            "the chain no longer has block %d as indexed (rewound or reorganised): re-indexing from block %d, "
            "%d logs dropped",
            last,
            common + 1,
            dropped,
        )

    def _apply_range(self, start: int, end: int) -> int:
        raw = self.chain.blocks.logs(start, end, self._addresses)
        decoded: list[Decoded] = []
        for entry in raw:
            key = (str(entry["address"]).lower(), bytes(entry["topics"][0]) if entry["topics"] else b"")
            if key not in self._topics:
                continue
            contract, event = self._topics[key]
            args = {k: jsonable(v) for k, v in dict(event.process_log(entry)["args"]).items()}
            decoded.append(
                Decoded(
                    contract,
                    event.event_name,
                    args,
                    int(entry["blockNumber"]),
                    int(entry["logIndex"]),
                    HexBytes(entry["transactionHash"]).to_0x_hex(),
                    HexBytes(entry["blockHash"]).to_0x_hex(),
                )
            )
        blocks = sorted({d.block for d in decoded})
        times = {b: dt.datetime.fromtimestamp(t, dt.UTC) for b, t in self.chain.blocks.timestamps(blocks)}
        end_block = self.chain.blocks.block(end)
        if end_block is None:
            raise IndexerError(f"block {end} is not on the chain (any more)")
        end_hash = end_block.hash
        with Session(self.engine) as s, s.begin():
            _one_writer(s)  # then the journal read next holds what another worker applied before
            applied = 0
            journaled = (
                set(
                    s.exec(
                        select(col(ChainLog.block), col(ChainLog.log_index)).where(
                            col(ChainLog.block) >= start, col(ChainLog.block) <= end
                        )
                    ).all()
                )
                if decoded
                else set()
            )
            for d in sorted(decoded, key=lambda d: (d.block, d.log_index)):
                if (d.block, d.log_index) in journaled:
                    continue  # in the journal already: never counted twice
                at = times[d.block]
                s.add(
                    ChainLog(
                        block=d.block,
                        log_index=d.log_index,
                        block_hash=d.block_hash,
                        tx_hash=d.tx_hash,
                        at=at,
                        contract=d.contract,
                        event=d.event,
                        args=json.dumps(d.args),
                    )
                )
                _project(s, d, at)
                s.flush()
                applied += 1
            cursor = s.get(ChainCursor, CURSOR)
            if cursor is None:
                s.add(ChainCursor(name=CURSOR, block=end, block_hash=end_hash))
            elif cursor.block <= end:  # never back: another worker may have gone further meanwhile
                cursor.block, cursor.block_hash = end, end_hash
                s.add(cursor)
        return applied

    def follow(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Syncs until ``stop`` is set; failures are kept in ``last_error`` and retried."""
        while not stop.is_set():
            try:
                self.sync()
            except Exception as exc:  # noqa: BLE001 — reported in /health; retried at the next tick
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("indexer: %s", self.last_error)
            stop.wait(interval)

    # -------------------------------------------------------------------- queries

    def request_ids(self, *, requester: str | None = None, custodian: bytes | None = None) -> list[int]:
        with Session(self.engine) as s:
            q = select(IxRequest.request_id)
            if requester is not None:
                q = q.where(IxRequest.requester == requester.lower())
            if custodian is not None:
                q = q.where(IxRequest.custodian == _hex(custodian))
            return list(s.exec(q.order_by(col(IxRequest.request_id))).all())

    def grant_ids(self, *, custodian: bytes | None = None, grantee_body: bytes | None = None) -> list[int]:
        with Session(self.engine) as s:
            q = select(IxGrant.grant_id)
            if custodian is not None:
                q = q.where(IxGrant.custodian == _hex(custodian))
            if grantee_body is not None:
                q = q.where(IxGrant.grantee_body == _hex(grantee_body))
            return list(s.exec(q.order_by(col(IxGrant.grant_id))).all())

    def grant_ids_about(self, subject: str) -> list[int]:
        """Grants, by any custodian, about one resident (record or subject-category scope)."""
        with Session(self.engine) as s:
            q = (
                select(IxGrant.grant_id)
                .join(IxRequest, col(IxRequest.request_id) == col(IxGrant.request_id))
                .where(IxRequest.subject == _hex(subject))
            )
            return list(s.exec(q.order_by(col(IxGrant.grant_id))).all())

    def emergency_ids(self, *, custodian: bytes | None = None, unreviewed: bool = False) -> list[int]:
        with Session(self.engine) as s:
            q = select(IxEmergency.emergency_id)
            if custodian is not None:
                q = q.where(IxEmergency.custodian == _hex(custodian))
            if unreviewed:
                q = q.where(col(IxEmergency.reviewed_at).is_(None))
            return list(s.exec(q.order_by(col(IxEmergency.emergency_id))).all())

    def emergency(self, emergency_id: int) -> IxEmergency | None:
        with Session(self.engine) as s:
            return s.get(IxEmergency, emergency_id)

    def members(self, body: bytes) -> list[IxMember]:
        """The body's current members, in the order they were added."""
        with Session(self.engine) as s:
            q = select(IxMember).where(IxMember.body == _hex(body), col(IxMember.removed_at).is_(None))
            return list(s.exec(q.order_by(col(IxMember.added_block))).all())

    def body_ids(self) -> list[str]:
        with Session(self.engine) as s:
            q = select(IxBody.body).where(col(IxBody.removed_at).is_(None)).order_by(col(IxBody.admitted_at))
            return list(s.exec(q).all())


#: PostgreSQL advisory lock held by the transaction that writes the index.
INDEX_LOCK = 0x0C1C20


def _one_writer(s: Session) -> None:
    """One index writer at a time, across worker processes and across programs sharing the database (the API's
    indexer, `ledger audit`, `ledger trail`): otherwise two of them read the journal, both miss the same logs
    and both journal them. PostgreSQL: a transaction-scoped advisory lock. SQLite: a write first, so the
    transaction holds SQLite's one write lock before it reads the journal (a second writer waits, up to the
    engine's busy timeout, for the first one's commit)."""
    if s.get_bind().dialect.name == "postgresql":
        s.connection().execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": INDEX_LOCK})
    else:
        s.connection().execute(text("UPDATE chain_cursor SET block = block WHERE name = :n"), {"n": CURSOR})


def _hex(value: bytes | str) -> str:
    return value.lower() if isinstance(value, str) else "0x" + value.hex()


def _project(s: Session, d: Decoded, at: dt.datetime) -> None:
    """Applies one event to the projections (inside the caller's transaction)."""
    a, e = d.args, d.event
    if e == "BodyAdmitted":
        s.merge(
            IxBody(body=a["body"], kind=int(a["kind"]), parent=a["parent"], emergency=bool(a["emergency"]), admitted_at=at)
        )
    elif e == "BodyRemoved":
        if (body := s.get(IxBody, a["body"])) is not None:
            body.removed_at = at
    elif e == "MemberAdded":
        s.merge(
            IxMember(account=a["account"].lower(), body=a["body"], roles=int(a["roles"]), added_at=at, added_block=d.block)
        )
    elif e == "MemberRolesChanged":
        if (m := s.get(IxMember, a["account"].lower())) is not None:
            m.roles = int(a["roles"])
    elif e == "MemberRemoved":
        if (m := s.get(IxMember, a["account"].lower())) is not None:
            m.removed_at, m.removed_block = at, d.block
    elif e == "AccessRequested":
        s.add(
            IxRequest(
                request_id=int(a["requestId"]),
                requester=a["requester"].lower(),
                custodian=a["custodian"],
                scope=int(a["scope"]),
                record_id=a["recordId"],
                subject=a["subject"],
                category=a["category"],
                field_mask=hex(int(a["fieldMask"])),
                purpose=a["purpose"],
                status="pending",
                created_at=at,
            )
        )
    elif e in ("RequestApproved", "RequestDenied", "RequestCancelled"):
        if (r := s.get(IxRequest, int(a["requestId"]))) is not None:
            r.status = {"RequestApproved": "approved", "RequestDenied": "denied"}.get(e, "cancelled")
            r.grant_id = int(a.get("grantId", 0))
            r.decided_at = at
    elif e == "GrantCreated":
        s.add(
            IxGrant(
                grant_id=int(a["grantId"]),
                request_id=int(a["requestId"]),
                custodian=a["custodian"],
                grantee=a["grantee"].lower(),
                grantee_body=a["granteeBody"],
                expires_at=int(a["expiresAt"]),
                created_at=at,
                created_block=d.block,
            )
        )
    elif e == "GrantRevoked":
        if (g := s.get(IxGrant, int(a["grantId"]))) is not None and g.revoked_at is None:
            g.revoked_at, g.revoked_block = at, d.block
    elif e == "EmergencyDeclared":
        s.add(
            IxEmergency(
                emergency_id=int(a["emergencyId"]),
                custodian=a["custodian"],
                record_id=a["recordId"],
                reader=a["reader"].lower(),
                reader_body=a["readerBody"],
                field_mask=hex(int(a["fieldMask"])),
                purpose=a["purpose"],
                declared_at=at,
                declared_block=d.block,
            )
        )
    elif e == "EmergencyReviewed":
        if (em := s.get(IxEmergency, int(a["emergencyId"]))) is not None:
            em.reviewed_at, em.reviewed_block, em.justified = at, d.block, bool(a["justified"])
    elif e == "AccessBatchAnchored":
        s.add(
            IxAnchor(
                body=a["body"],
                first_seq=int(a["firstSeq"]),
                last_seq=int(a["lastSeq"]),
                root=a["root"],
                kind="batch",
                tx_hash=d.tx_hash,
                block=d.block,
                at=at,
            )
        )
    elif e == "AccessEventAnchored":
        s.add(
            IxAnchor(
                body=a["body"],
                first_seq=int(a["seq"]),
                last_seq=int(a["seq"]),
                root=a["eventHash"],
                kind="event",
                tx_hash=d.tx_hash,
                block=d.block,
                at=at,
            )
        )
