"""The auditors' figures: one node's dashboard, and every node's gathered at the auditor's node."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field


class DayCount(BaseModel):
    day: dt.date
    body: str = Field(description="The reading body's code")
    reads: int


class Dashboard(BaseModel):
    custodian: str
    days: int
    readsPerBodyPerDay: list[DayCount]
    denialsByDecision: dict[str, int] = Field(
        description="Refused reads by the access rules' reason, since this node's process started"
    )
    emergencies: dict[str, int] = Field(description="Emergency reads of this body's records: reviewed, unreviewed")
    anchoring: dict[str, Any] = Field(description="Anchored through, latest sequence, backlog, failures")
    latencySeconds: dict[str, float | None] = Field(
        description="Accept → anchored of the latest anchored events: p50, p95, max"
    )


class NodeDashboard(BaseModel):
    body: str
    status: Literal["answered", "unreachable", "no_node"]
    error: str | None = Field(description="Why there is no answer")
    dashboard: Dashboard | None


class ConsortiumDashboard(BaseModel):
    """Every body's node's figures, gathered by the auditor body's node (the same days for each)."""

    days: int
    complete: bool = Field(description="True when every body with a node answered")
    bodies: list[NodeDashboard]
