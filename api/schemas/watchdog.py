"""The watchdog's alerts and an auditor's review of one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.access import KeptTextOut

HEX32 = r"^0x[0-9a-fA-F]{64}$"


class EventRef(BaseModel):
    body: str = Field(description="The custodian body whose trail holds the event (code)")
    seq: int


class ReviewOut(BaseModel):
    verdict: Literal["acknowledged", "escalated"]
    reviewer: str
    reviewerName: str | None = None
    body: str = Field(description="The reviewer's body (code)")
    block: int
    txHash: str
    eventsHash: str = Field(description="The events the review covered (Keccak-256 of their sorted list)")
    current: bool = Field(description="False when events joined the alert after the review: it is open again")
    note: KeptTextOut | None = Field(default=None, description="The note, at the node where it was written")


class AlertOut(BaseModel):
    id: str = Field(description="Keccak-256 of the RFC 8785 JSON of rule, scope, key and period")
    rule: Literal["volume", "outside_grids", "off_hours", "repeats", "emergencies"]
    scope: str = Field(description="node:<body> (one node's trail) or consortium (every node's)")
    key: str
    period: str = Field(description="A day (YYYY-MM-DD) or an ISO week (YYYY-Www), in the watchdog's time zone")
    state: Literal["open", "acknowledged", "escalated"]
    reader: str | None = None
    readerName: str | None = Field(default=None, description="From the reader's body's directory")
    readerPost: str | None = Field(default=None, description="From the reader's body's directory")
    readerBody: str | None = None
    events: list[EventRef]
    eventsHash: str
    vars: dict[str, Any] = Field(description="The figures the alert was raised on (reads, median, grids, ...)")
    review: ReviewOut | None = None


class WatchdogOut(BaseModel):
    scope: str
    days: int
    events: int = Field(description="Events the rules read")
    thresholds: dict[str, Any]
    sources: dict[str, str] = Field(
        default_factory=dict, description="At the auditor's node: each node's mirror state (answered, unreachable)"
    )
    alerts: list[AlertOut]


class AlertReviewIn(BaseModel):
    verdict: Literal["acknowledged", "escalated"]
    note: str = Field(min_length=3, max_length=2000, description="Why (kept at this node; its salted hash on-chain)")
    eventsHash: str = Field(pattern=HEX32, description="The events the reviewer saw, as the alert listed them")
    scope: Literal["node", "consortium"] = Field(default="node", description="Where the alert was raised")
