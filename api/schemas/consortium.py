"""The consortium as one: a resident's trail at every body's node, and the audit of every node."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.common import TrailBundle
from api.schemas.trail import TRAIL_EVENTS, TrailEvent

MERGED_SCHEMA: Literal["civic-ledger/consortium-trail@1"] = "civic-ledger/consortium-trail@1"


class PartOut(BaseModel):
    custodian: str = Field(description="The body whose node this part is from")
    status: Literal["answered", "unreachable", "no_node"] = Field(
        description="answered; unreachable (its node did not answer, or answered with an error); no_node (the "
        "body published no node address)"
    )
    total: int | None = Field(description="The resident's events at that node; null without an answer")
    error: str | None = Field(description="Why there is no answer")


class ConsortiumEvent(TrailEvent):
    custodian: str = Field(description="The body whose node logged the read (whose record was read)")


class ConsortiumTrail(BaseModel):
    """A resident's reads at every body's node, newest first."""

    subjectId: str
    complete: bool = Field(description="True when every body with a node answered")
    parts: list[PartOut]
    events: list[ConsortiumEvent] = Field(description=f"Newest first; at most {TRAIL_EVENTS} per node")


class BundlePart(BaseModel):
    custodian: str
    status: Literal["answered", "unreachable", "no_node"]
    error: str | None
    bundle: TrailBundle | None = Field(description="That node's trail bundle for the resident; verify it alone")


class ConsortiumBundle(BaseModel):
    """``civic-ledger/consortium-trail@1``: one bundle per node; ``ledger verify trail`` checks each."""

    schema_: Literal["civic-ledger/consortium-trail@1"] = Field(alias="schema")
    subject: str
    askedAt: dt.datetime
    parts: list[BundlePart]

    model_config = {"populate_by_name": True}


class FindingOut(BaseModel):
    """One problem, by its stable code (``ledger/audit/findings.py``; the portal words it in the reader's
    language from ``finding.<code>``), with its values and its English words."""

    code: str = Field(examples=["check_failed"])
    vars: dict[str, Any] = Field(examples=[{"number": 3, "title": "Batch roots recompute…", "failed": 1}])
    message: str
    first: dict[str, Any] | None = Field(
        default=None, description="check_failed: the node's first failure (kind, ref, code, vars, message)"
    )


class BodyAuditOut(BaseModel):
    body: str
    bodyId: str
    status: Literal["passed", "failed", "unreachable", "no_node"] = Field(
        description="no_node: the body published no node and the chain shows it keeps nothing"
    )
    problems: list[FindingOut] = Field(description="Why it did not pass")
    notes: list[str]
    report: dict[str, Any] | None = Field(description="The node's own audit report (civic-ledger/audit@1), as signed")


class ConsortiumAuditOut(BaseModel):
    """``civic-ledger/consortium-audit@1``: one report of every body's node."""

    schema_: Literal["civic-ledger/consortium-audit@1"] = Field(alias="schema")
    ok: bool = Field(description="Every body passed, or keeps nothing on-chain")
    by: str = Field(description="The auditor body whose node gathered the results")
    startedAt: dt.datetime
    finishedAt: dt.datetime
    summary: dict[str, int] = Field(description="Bodies by status")
    bodies: list[BodyAuditOut]

    model_config = {"populate_by_name": True}
