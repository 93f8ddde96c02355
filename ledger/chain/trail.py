"""Typed wrapper of ``AccessTrail``: immediate and batched anchors of access events."""

from __future__ import annotations

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle


class AccessTrail:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("AccessTrail")

    def last_sequence(self, body: bytes) -> int:
        return int(self.handle.view("lastSequence", body))

    def anchor_event(self, actor: Actor, seq: int, event_hash: bytes) -> TxReceipt:
        return actor.send(self.handle, "anchorEvent", seq, event_hash)

    def anchor_batch(self, actor: Actor, first_seq: int, last_seq: int, root: bytes) -> TxReceipt:
        return actor.send(self.handle, "anchorBatch", first_seq, last_seq, root)

    def review_alert(self, actor: Actor, alert_id: bytes, events_hash: bytes, verdict: int, note_hash: bytes) -> TxReceipt:
        return actor.send(self.handle, "reviewAlert", alert_id, events_hash, verdict, note_hash)
