"""Auditors' reviews of alerts, as the chain holds them (``AccessTrail.AlertReviewed``): the latest per alert."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from ledger.chain.deploy import Contracts
from ledger.ids import hex32


class Verdict(IntEnum):
    ACKNOWLEDGED = 1
    ESCALATED = 2


@dataclass(frozen=True)
class Review:
    alert_id: str
    body: bytes
    reviewer: str
    verdict: Verdict
    events_hash: str
    note_hash: bytes
    block: int
    tx_hash: str


def latest_reviews(c: Contracts) -> dict[str, Review]:
    """Each reviewed alert's latest review, by alert id (0x-hex)."""
    start = c.chain.manifest.deploy_block if c.chain.manifest else 0
    found: dict[str, Review] = {}
    logs = c.trail.handle.logs("AlertReviewed", from_block=start)
    for log in sorted(logs, key=lambda g: (int(g["blockNumber"]), int(g["logIndex"]))):
        r = Review(
            alert_id=hex32(bytes(log["alertId"])),
            body=bytes(log["body"]),
            reviewer=str(log["reviewer"]),
            verdict=Verdict(int(log["verdict"])),
            events_hash=hex32(bytes(log["eventsHash"])),
            note_hash=bytes(log["noteHash"]),
            block=int(log["blockNumber"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
        )
        found[r.alert_id] = r
    return found
