"""The anchoring outbox: every on-chain action of the store, sent at least once, applied once.

A record is stored and its outbox entry written in one database transaction; only then is
the transaction sent. A crash between the two leaves a pending entry that the next run
finishes (``ledger records anchor``, or any records command of the same account). Anchoring
is idempotent per (record, version): before sending, the chain is asked whether the action
is already there (a crash after sending, or another worker), and the contract itself
refuses a second registration or a version out of order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from web3.types import TxReceipt

from ledger import failpoints
from ledger.chain.client import Actor, Relayer
from ledger.chain.deploy import Contracts
from ledger.chain.records import RecordStatus
from ledger.errors import ChainUnavailable, ContractRevert, NotFound
from ledger.ids import code_id
from ledger.store.models import AnchorState, OutboxAction, OutboxEntry, Record, RecordVersion, utcnow


@dataclass
class AnchorReport:
    anchored: list[tuple[str, int, str]] = field(default_factory=list)  # (record id, version, action)
    failed: list[tuple[str, int, str]] = field(default_factory=list)  # (record id, version, error code)
    pending: int = 0  # left for later: the chain is unreachable


class Anchorer:
    def __init__(self, engine: Engine, contracts: Contracts) -> None:
        self.engine = engine
        self.c = contracts

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

    def run(self, actor: Actor) -> AnchorReport:
        """Sends ``actor``'s pending entries in the order they were written."""
        report = AnchorReport()
        entries = self.pending(actor.address)
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

    def _send(self, entry: OutboxEntry, actor: Actor) -> TxReceipt:
        fn, args = self.call_of(entry)
        return actor.send(self.c.records.handle, fn, *args)

    def prepare(self, entry: OutboxEntry, relayer: Relayer) -> dict[str, Any]:
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

    def _finish(self, entry: OutboxEntry, state: AnchorState, *, tx: tuple[str, int] | None = None,
                error: str | None = None) -> None:
        with Session(self.engine) as s, s.begin():
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
