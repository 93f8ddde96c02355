"""Across the consortium: a resident's trail at every body's node, merged at their committee's node,
and the audit of every node, gathered at the auditor's node (SPEC §5, §6).

The committee's node asks each other body's node for the reads of the resident's data there
(``POST /node/trail``, a signed node request) and merges them newest first. A node that did not
answer, or a body that published no node, is named in ``parts``, never silently left out. Each
part's bundle verifies against the chain alone (``ledger verify trail``, or the portal), so the
committee's node is trusted with nothing.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import CurrentActor, CurrentMember, NodeDep
from api.schemas.consortium import ConsortiumAuditOut, ConsortiumBundle, ConsortiumTrail
from api.schemas.trail import ByCodeIn
from api.services import consortium
from api.services.trail import my_subject, subject_by_code
from ledger.audit.report import consortium_csv, consortium_html
from ledger.errors import NotFound
from ledger.ids import Role

router = APIRouter(tags=["consortium"])


_CODE: dict[int | str, dict[str, Any]] = {
    401: {"description": "Unknown, replaced or expired code"},
    403: {"description": "Not a residents' committee's node"},
    429: {"description": "Too many attempts"},
}


@router.post(
    "/trail/by-code/consortium",
    response_model=ConsortiumTrail,
    summary="A resident's trail at every body's node, merged newest first (access code; at their committee's node)",
    responses=_CODE,
)
async def consortium_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> ConsortiumTrail:
    subject = subject_by_code(node, request, body)
    return await run_in_threadpool(consortium.merged, node, subject)


@router.get(
    "/trail/mine/consortium",
    response_model=ConsortiumTrail,
    summary="My trail at every body's node, merged newest first (a resident's own account, at a residents' "
    "committee's node)",
    responses={
        403: {"description": "The account is not linked to a resident, or this is not a residents' committee's node"}
    },
)
async def my_consortium(actor: CurrentActor, node: NodeDep) -> ConsortiumTrail:
    return await run_in_threadpool(consortium.merged, node, my_subject(node, actor))


@router.post(
    "/trail/by-code/consortium/bundle",
    response_model=ConsortiumBundle,
    summary="A resident's trail bundles from every body's node (access code); verify each with `ledger verify trail`",
    responses=_CODE,
)
async def consortium_bundle_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> ConsortiumBundle:
    subject = subject_by_code(node, request, body)
    return await run_in_threadpool(consortium.merged_bundle, node, subject)


@router.get(
    "/trail/mine/consortium/bundle",
    response_model=ConsortiumBundle,
    summary="My trail bundles from every body's node (a resident's own account)",
)
async def my_consortium_bundle(actor: CurrentActor, node: NodeDep) -> ConsortiumBundle:
    return await run_in_threadpool(consortium.merged_bundle, node, my_subject(node, actor))


@router.post(
    "/audit/consortium",
    response_model=ConsortiumAuditOut,
    summary="Audit every body's node: each audits itself and signs the result; this node checks each "
    "against the chain (auditors)",
    responses={
        200: {
            "content": {"text/csv": {}, "text/html": {}},
            "description": "The one report (civic-ledger/consortium-audit@1); `ok` says whether every node passed",
        },
        403: {"description": "Not an auditor, or not the auditor body's node"},
    },
)
async def audit_consortium(
    actor: CurrentMember,
    node: NodeDep,
    request: Request,
    format: Annotated[Literal["json", "csv", "html"], Query(description="Report format")] = "json",
) -> Response:
    actor.require(Role.AUDITOR, "run the consortium audit")
    consortium.require_auditors_node(node)
    report = await run_in_threadpool(consortium.consortium_audit, node)
    request.app.state.last_consortium_audit = report
    return _rendered(report, format)


@router.get(
    "/audit/consortium/latest",
    summary="The last audit of every node made here, in another format (auditors, at the auditor body's node)",
    responses={
        200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}}, "description": "As it was made"},
        404: {"description": "No audit of every node has run at this node since it started"},
    },
)
def latest_consortium_audit(
    actor: CurrentMember,
    node: NodeDep,
    request: Request,
    format: Annotated[Literal["json", "csv", "html"], Query(description="Report format")] = "json",
) -> Response:
    actor.require(Role.AUDITOR, "read audit reports")
    report = getattr(request.app.state, "last_consortium_audit", None)
    if report is None:
        raise NotFound("no audit of every node has run here since this node started", error="NoAudit")
    rendered = _rendered(report, format)
    rendered.headers["Content-Disposition"] = f'attachment; filename="audit-consortium.{format}"'
    return rendered


def _rendered(report: dict[str, Any], format: str) -> Response:
    if format == "html":
        return Response(consortium_html(report), media_type="text/html; charset=utf-8")
    if format == "csv":
        return Response(consortium_csv(report), media_type="text/csv; charset=utf-8")
    return Response(
        ConsortiumAuditOut.model_validate(report).model_dump_json(by_alias=True, indent=2) + "\n",
        media_type="application/json",
    )
