"""``POST /audit/verify``: the audit of this node (auditors only), as JSON, CSV or an HTML page.

The same checklist as ``ledger audit`` (:mod:`ledger.audit.node`); the answer is 200 with the
report whether or not the audit passed: ``ok`` (JSON), the status column (CSV) or the
verdict (HTML) tell.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import CurrentMember, NodeDep
from api.schemas.audit import ConsortiumDashboard, Dashboard
from api.services import dashboards
from api.services.audit import audit_node
from api.services.consortium import require_auditors_node
from ledger.audit.report import MEDIA_TYPES, render
from ledger.errors import NotFound
from ledger.ids import Role

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


@router.get(
    "/dashboard",
    response_model=Dashboard,
    summary="Figures for the auditors' dashboard: this node (auditors)",
    responses={403: {"description": "Not an auditor"}},
)
def dashboard(
    actor: CurrentMember,
    node: NodeDep,
    days: Annotated[int, Query(ge=1, le=366, description="Days back, today included")] = 14,
) -> Dashboard:
    actor.require(Role.AUDITOR, "see the audit dashboard")
    return dashboards.of_node(node, days)


@router.get(
    "/dashboard/consortium",
    response_model=ConsortiumDashboard,
    summary="Figures for the auditors' dashboard from every body's node, gathered here (auditors, at the "
    "auditor body's node)",
    responses={403: {"description": "Not an auditor, or not the auditor body's node"}},
)
async def consortium_dashboard(
    actor: CurrentMember,
    node: NodeDep,
    days: Annotated[int, Query(ge=1, le=366, description="Days back, today included")] = 14,
) -> ConsortiumDashboard:
    actor.require(Role.AUDITOR, "see the consortium's dashboard")
    require_auditors_node(node)
    return await run_in_threadpool(dashboards.of_consortium, node, days)
