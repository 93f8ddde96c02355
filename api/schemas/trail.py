"""The access trail as residents and auditors see it."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import TrailBundle


class CodeIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, description="The resident (never stored)")


class CodeOut(BaseModel):
    code: str = Field(description="Shown once; 100 bits", examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])
    expiresAt: dt.datetime


class ByCodeIn(BaseModel):
    """The resident's access code, or the trail session it opened (``POST /trail/by-code/session``): a page
    keeps the session for its tab, never the code."""

    code: str | None = Field(default=None, min_length=20, max_length=40, examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])
    session: str | None = Field(default=None, min_length=20, max_length=2000, description="A trail session")

    @model_validator(mode="after")
    def _one(self) -> ByCodeIn:
        if (self.code is None) == (self.session is None):
            raise ValueError("give the access code or a trail session (one of them)")
        return self


class AccessCodeIn(BaseModel):
    code: str = Field(min_length=20, max_length=40, examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])


class SessionOut(BaseModel):
    session: str = Field(description="Send it as `session` instead of the code; it ends with the code")
    expiresAt: dt.datetime


class PageIn(ByCodeIn):
    before: int | None = Field(
        default=None, ge=1, le=2**63 - 1, description="Events before this sequence number (the previous page's nextBefore)"
    )
    limit: int = Field(default=50, ge=1, le=200)


class EmergencyFlag(BaseModel):
    id: int
    reviewed: bool
    justified: bool | None


class AnchorRef(BaseModel):
    firstSeq: int
    lastSeq: int
    kind: str = Field(description="batch (a Merkle root of firstSeq..lastSeq) or event (anchored alone)")
    transactionHash: str | None
    blockNumber: int | None


class NoticeRef(BaseModel):
    id: str = Field(description="The notice's id (the gateway's idempotency key)")
    kind: str = Field(description="instant (a sensitive category), digest (the day's reads) or late")
    state: str = Field(description="pending or delivered")
    deliveredAt: dt.datetime | None = Field(description="When the gateway took it")


class TrailEvent(BaseModel):
    seq: int
    at: dt.datetime
    reader: str = Field(description="The officer's account")
    readerName: str | None = Field(default=None, description="The officer's name, from the members' directory")
    readerPost: str | None = Field(default=None, description="The officer's post, from the members' directory")
    readerGrids: list[str] = Field(
        default=[],
        description="When the reader's body names them by post alone: the grids that post covered when they read, "
        "by name (from the chain), so the resident reads 'grid worker of Grid 2'",
    )
    readerBody: str
    recordId: str
    version: int
    category: str
    fields: list[str]
    purpose: str
    grantId: int | None
    emergency: EmergencyFlag | None = Field(description="Set for a break-glass read: flagged until reviewed")
    eventHash: str
    anchor: AnchorRef | None = Field(description="The on-chain anchor holding this event; null until anchored")
    notice: NoticeRef | None = Field(
        default=None, description="The notice to the resident that tells of this read (null: not in the outbox yet)"
    )
    sealedUntil: dt.datetime | None = Field(
        default=None,
        description="Set for a read made under a seal (a covert read): when the seal ended, or ends (auditors see "
        "sealed reads while they are sealed; residents only once the seal has ended)",
    )


class TrailOut(BaseModel):
    custodian: str = Field(description="The body whose records these reads were of")
    subjectId: str | None
    events: list[TrailEvent]


class TrailPage(TrailOut):
    """A resident's events, newest first, one page."""

    total: int = Field(description="How many events the resident has at this node")
    nextBefore: int | None = Field(description="Pass as `before` for the next (older) page; null on the last page")


class ProofOut(BaseModel):
    seq: int
    eventHash: str
    anchor: AnchorRef
    root: str
    proof: list[str] = Field(
        description="StandardMerkleTree proof of the leaf (uint64 seq, bytes32 eventHash); empty for an event anchored alone"
    )


#: Events of a resident a node sends at once (newest first); the bundle holds them all.
TRAIL_EVENTS = 200


class NodeTrailIn(BaseModel):
    subjectId: str = Field(
        pattern=r"^0x[0-9a-fA-F]{64}$",
        description="The resident, whom the calling committee's node signed in (access code or wallet)",
    )
    bundle: bool = Field(default=False, description="Also the trail bundle, for verifying each event")


class NodeTrailOut(BaseModel):
    custodian: str
    subjectId: str
    total: int = Field(description="The resident's events at this node")
    events: list[TrailEvent] = Field(description=f"Newest first, at most {TRAIL_EVENTS}")
    bundle: TrailBundle | None
