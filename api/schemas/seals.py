"""Seals over covert reads: placing, extending and releasing one, the list, and the auditors' statistics."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.access import KeptTextOut

Target = Literal["grant", "emergency"]
MAX_INT = 2**63 - 1


class SealIn(BaseModel):
    target: Target = Field(description="A grant of the caller's body, or its emergency declaration (and its reads)")
    targetId: int = Field(ge=1, le=MAX_INT)
    caseReference: str = Field(
        min_length=3, max_length=500, description="The case reference: kept encrypted at this node, its salted hash on-chain"
    )
    until: int = Field(ge=1, le=MAX_INT, description="Unix time the seal ends; at most 90 days from now")


class SealExtendIn(BaseModel):
    until: int = Field(ge=1, le=MAX_INT, description="The new end (Unix time): at most 90 days past the current one")
    reason: str = Field(
        min_length=3, max_length=2000, description="Why it must stay sealed: kept at this node, its salted hash on-chain"
    )


class SealOut(BaseModel):
    """A seal as the chain holds it. An oversight body sees its case hash, its body and its ages, never what it
    covers; the sealing body and auditors see that too."""

    id: int
    body: str = Field(description="The sealing body's code")
    target: Target | None = Field(description="What it covers (null for an oversight body)")
    targetId: int | None
    caseHash: str
    case: KeptTextOut | None = Field(default=None, description="The case reference, to the sealing body at its own node")
    placedAt: int
    until: int
    releasedAt: int | None
    extensions: int
    state: Literal["sealed", "released", "ended"]
    ageDays: float = Field(description="Days since it was placed (to its end, once ended)")
    daysLeft: float | None = Field(description="Days until its end while sealed")
    readsHere: int = Field(description="Reads written under it at this node")


class SealsOut(BaseModel):
    now: int = Field(description="The chain's time the states are of")
    seat: Literal["sealer", "oversight", "auditor", "none"] = Field(
        description="The caller's part in seals: a sealing body's member, an oversight body's, an auditor, or none "
        "(no seals shown)"
    )
    seals: list[SealOut]


class SealBodyStats(BaseModel):
    body: str
    sealed: int = Field(description="Seals in force")
    ended: int = Field(description="Seals released or past their end")
    extended: int = Field(description="Seals in force that an oversight body extended")
    readsSealed: int = Field(description="Reads hidden from their residents now, at the nodes that answered")
    oldestDays: float | None = Field(description="Age of its oldest seal in force")
    medianDays: float | None = Field(description="Median age of its seals in force")


class SealSource(BaseModel):
    body: str
    status: Literal["answered", "unreachable", "no_node"]
    error: str | None = None


class SealStatsOut(BaseModel):
    scope: Literal["node", "consortium"]
    now: int
    bodies: list[SealBodyStats]
    sources: list[SealSource] = Field(description="The nodes whose sealed reads are counted")


class NodeSealsIn(BaseModel):
    pass


class NodeSealReads(BaseModel):
    sealId: int
    readerBody: str
    reads: int


class NodeSealsOut(BaseModel):
    custodian: str
    reads: list[NodeSealReads]
