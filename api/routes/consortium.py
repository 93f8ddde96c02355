"""Across the consortium: a resident's trail at every body's node, merged at their committee's node,
and the audit of every node, gathered at the auditor's node (SPEC §5, §6).

The committee's node asks each other body's node for the reads of the resident's data there
(``POST /node/trail``, a signed node request) and merges them newest first. A node that did not
answer, or a body that published no node, is named in ``parts``, never silently left out. Each
part's bundle verifies against the chain alone (``ledger verify trail``, or the portal), so the
committee's node is trusted with nothing.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field, ValidationError

from api.deps import CurrentActor, CurrentMember, Node, NodeDep
from api.schemas.common import TrailBundle
from api.schemas.trail import TRAIL_EVENTS, ByCodeIn, NodeTrailOut, TrailEvent
from api.services.audit import signed_audit
from api.services.custody import require_own_resident
from api.services.trail import events_out, my_subject, subject_by_code, trail_bundle
from ledger.audit.consortium import OnChain, check_answer, consortium_report, new_request
from ledger.audit.report import consortium_html
from ledger.chain.views import bodies_at
from ledger.errors import NotAuthorized
from ledger.ids import BodyKind, Role, code_name, parse_record_id
from ledger.peers.gather import Answer, active_bodies, ask_all

router = APIRouter(tags=["consortium"])
MERGED_SCHEMA: Literal["civic-ledger/consortium-trail@1"] = "civic-ledger/consortium-trail@1"
#: How long the auditor's node waits for each node's self-audit, seconds.
AUDIT_TIMEOUT = 900.0


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


def _gather(node: Node, subject: str, *, bundle: bool) -> list[tuple[str, Answer, NodeTrailOut | None]]:
    """This node's part and every other active body's, each validated (a malformed answer is unreachable)."""
    own = node.store.body
    if bodies_at(node.questions, [own])[0].kind != BodyKind.RESIDENTS_COMMITTEE:
        raise NotAuthorized(
            f"this is the node of {node.body}: a resident's trail across the consortium is at their "
            "residents' committee's node, which the other nodes answer",
            error="NotCommitteeNode",
        )
    require_own_resident(node, parse_record_id(subject), "gather a resident's trail across the consortium")
    others = [b for b in active_bodies(node.questions, node.indexer.body_ids()) if b != own]
    events = node.trail.latest(subject_id=subject, limit=TRAIL_EVENTS)
    mine = NodeTrailOut(
        custodian=node.body,
        subjectId=subject,
        total=node.trail.count_of(subject),
        events=events_out(node, events),
        bundle=TrailBundle.model_validate(trail_bundle(node, subject)) if bundle else None,
    )
    parts: list[tuple[str, Answer, NodeTrailOut | None]] = [(node.body, Answer(own, 200), mine)]
    for a in ask_all(node.peers, others, "/node/trail", {"subjectId": subject, "bundle": bundle}):
        name = code_name(a.body)
        if not a.ok:
            parts.append((name, a, None))
            continue
        try:
            answer = NodeTrailOut.model_validate(a.data)
        except ValidationError:
            parts.append((name, Answer(a.body, None, error="answered something that is not a trail"), None))
            continue
        if answer.custodian != name or answer.subjectId != subject:
            parts.append((name, Answer(a.body, None, error="answered another body's or resident's trail"), None))
            continue
        parts.append((name, a, answer))
    return parts


def _status(a: Answer) -> Literal["answered", "unreachable", "no_node"]:
    return "answered" if a.ok else "unreachable" if a.published else "no_node"


def merged(node: Node, subject: str) -> ConsortiumTrail:
    parts = _gather(node, subject, bundle=False)
    events = [ConsortiumEvent(**e.model_dump(), custodian=name) for name, _a, t in parts if t for e in t.events]
    events.sort(key=lambda e: (e.at, e.custodian, e.seq), reverse=True)
    return ConsortiumTrail(
        subjectId=subject,
        complete=all(a.ok or not a.published for _n, a, _t in parts),
        parts=[PartOut(custodian=n, status=_status(a), total=t.total if t else None, error=a.error) for n, a, t in parts],
        events=events,
    )


def merged_bundle(node: Node, subject: str) -> ConsortiumBundle:
    parts = _gather(node, subject, bundle=True)
    return ConsortiumBundle(
        schema_=MERGED_SCHEMA,
        subject=subject,
        askedAt=dt.datetime.now(dt.UTC),
        parts=[
            BundlePart(custodian=n, status=_status(a), error=a.error, bundle=t.bundle if t else None) for n, a, t in parts
        ],
    )


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
    subject = subject_by_code(node, request, body.code)
    return await run_in_threadpool(merged, node, subject)


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
    return await run_in_threadpool(merged, node, my_subject(node, actor))


@router.post(
    "/trail/by-code/consortium/bundle",
    response_model=ConsortiumBundle,
    summary="A resident's trail bundles from every body's node (access code); verify each with `ledger verify trail`",
    responses=_CODE,
)
async def consortium_bundle_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> ConsortiumBundle:
    subject = subject_by_code(node, request, body.code)
    return await run_in_threadpool(merged_bundle, node, subject)


@router.get(
    "/trail/mine/consortium/bundle",
    response_model=ConsortiumBundle,
    summary="My trail bundles from every body's node (a resident's own account)",
)
async def my_consortium_bundle(actor: CurrentActor, node: NodeDep) -> ConsortiumBundle:
    return await run_in_threadpool(merged_bundle, node, my_subject(node, actor))


class BodyAuditOut(BaseModel):
    body: str
    bodyId: str
    status: Literal["passed", "failed", "unreachable", "no_node"] = Field(
        description="no_node: the body published no node and the chain shows it keeps nothing"
    )
    problems: list[str] = Field(description="Why it did not pass")
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


def consortium_audit(node: Node) -> dict[str, Any]:
    """This node's audit and every other node's, each checked against the chain (read first)."""
    started = dt.datetime.now(dt.UTC)
    request = new_request()
    bodies = active_bodies(node.questions, node.indexer.body_ids())
    before = {b: OnChain.of(node.contracts, b) for b in bodies}
    with ThreadPoolExecutor(1) as pool:  # this node audits itself while the others do
        own = pool.submit(signed_audit, node, request)
        answers = {
            a.body: a
            for a in ask_all(
                node.peers,
                [b for b in bodies if b != node.store.body],
                "/node/audit",
                {"request": request},
                timeout=AUDIT_TIMEOUT,
            )
        }
        answers[node.store.body] = Answer(node.store.body, 200, own.result())
    parts = [check_answer(node.contracts, answers[b], request, before[b]) for b in bodies]
    return consortium_report(parts, started, node.body)


@router.post(
    "/audit/consortium",
    response_model=ConsortiumAuditOut,
    summary="Audit every body's node: each audits itself and signs the result; this node checks each "
    "against the chain (auditors)",
    responses={
        200: {
            "content": {"text/html": {}},
            "description": "The one report (civic-ledger/consortium-audit@1); `ok` says whether every node passed",
        },
        403: {"description": "Not an auditor, or not the auditor body's node"},
    },
)
async def audit_consortium(
    actor: CurrentMember,
    node: NodeDep,
    format: Annotated[Literal["json", "html"], Query(description="Report format")] = "json",
) -> Response:
    actor.require(Role.AUDITOR, "run the consortium audit")
    if bodies_at(node.questions, [node.store.body])[0].kind != BodyKind.AUDITOR:
        raise NotAuthorized(
            "the audit of every node runs at the auditor body's own node: the other nodes answer only that node",
            error="NotAuditorsNode",
        )
    report = await run_in_threadpool(consortium_audit, node)
    if format == "html":
        return Response(consortium_html(report), media_type="text/html")
    return Response(
        ConsortiumAuditOut.model_validate(report).model_dump_json(by_alias=True, indent=2) + "\n",
        media_type="application/json",
    )
