"""``POST /audit/verify``: the audit of this node (auditors only), as JSON, CSV or an HTML page.

The same checklist as ``ledger audit`` (:mod:`ledger.audit.node`); the answer is 200 with the
report whether or not the audit passed: ``ok`` (JSON), the status column (CSV) or the
verdict (HTML) tell.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CurrentMember, NodeDep
from api.services.audit import audit_node
from ledger.audit.report import MEDIA_TYPES, render
from ledger.errors import NotFound
from ledger.ids import Role, code_id, code_name

router = APIRouter(prefix="/audit", tags=["audit"])


@router.post(
    "/verify",
    summary="Audit this node: records, grants, anchors and proofs, signatures (auditors)",
    responses={
        200: {
            "content": {"application/json": {}, "text/csv": {}, "text/html": {}},
            "description": "The report; `ok` says whether every check passed",
        },
        403: {"description": "Not an auditor"},
    },
)
def verify(
    actor: CurrentMember,
    node: NodeDep,
    request: Request,
    format: Annotated[Literal["json", "csv", "html"], Query(description="Report format")] = "json",
) -> Response:
    actor.require(Role.AUDITOR, "run the audit")
    report = audit_node(node)
    request.app.state.last_audit = report
    return Response(render(report, format), media_type=MEDIA_TYPES[format])


@router.get(
    "/latest",
    summary="The last audit report this node made, in another format (auditors)",
    responses={
        200: {
            "content": {"application/json": {}, "text/csv": {}, "text/html": {}},
            "description": "The report of the last POST /audit/verify",
        },
        403: {"description": "Not an auditor"},
        404: {"description": "No audit run yet"},
    },
)
def latest(
    actor: CurrentMember,
    node: NodeDep,
    request: Request,
    format: Annotated[Literal["json", "csv", "html"], Query(description="Report format")] = "json",
) -> Response:
    actor.require(Role.AUDITOR, "read audit reports")
    report = getattr(request.app.state, "last_audit", None)
    if report is None:
        raise NotFound("no audit has run at this node since it started; run POST /audit/verify", error="NoAudit")
    return Response(
        render(report, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="audit-{node.body}.{format}"'},
    )


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


@router.get(
    "/dashboard",
    response_model=Dashboard,
    summary="Figures for the auditors' dashboard (auditors)",
    responses={403: {"description": "Not an auditor"}},
)
def dashboard(
    actor: CurrentMember,
    node: NodeDep,
    days: Annotated[int, Query(ge=1, le=366, description="Days back, today included")] = 14,
) -> Dashboard:
    actor.require(Role.AUDITOR, "see the audit dashboard")
    since = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days - 1)
    counts = node.trail.reads_per_day(since)
    emergencies = node.indexer.emergency_ids(custodian=code_id(node.body))
    unreviewed = node.indexer.emergency_ids(custodian=code_id(node.body), unreviewed=True)
    return Dashboard(
        custodian=node.body,
        days=days,
        readsPerBodyPerDay=[DayCount(day=d, body=code_name(bytes.fromhex(b[2:])), reads=n) for d, b, n in counts],
        denialsByDecision=node.metrics.read_denials_by_decision(),
        emergencies={"reviewed": len(emergencies) - len(unreviewed), "unreviewed": len(unreviewed)},
        anchoring=node.anchorer.status.as_json(),
        latencySeconds=node.trail.anchor_latency(),
    )
