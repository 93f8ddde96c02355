"""Work across every body's node: a resident's trail gathered at their committee's node, and the
audit of every node gathered at the auditor's node. Each answer is checked before it is shown."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from pydantic import ValidationError

from api.deps import Node
from api.schemas.common import TrailBundle
from api.schemas.consortium import (
    MERGED_SCHEMA,
    BundlePart,
    ConsortiumBundle,
    ConsortiumEvent,
    ConsortiumTrail,
    PartOut,
)
from api.schemas.trail import TRAIL_EVENTS, NodeTrailOut
from api.services.audit import signed_audit
from api.services.custody import require_own_resident
from api.services.trail import events_out, trail_bundle
from ledger.audit.consortium import OnChain, check_answer, consortium_report, new_request
from ledger.chain.views import bodies_at
from ledger.errors import NotAuthorized
from ledger.ids import BodyKind, code_name, parse_record_id
from ledger.peers.gather import Answer, active_bodies, ask_all

#: How long the auditor's node waits for each node's self-audit, seconds.
AUDIT_TIMEOUT = 900.0


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
    hidden = node.seals.in_force()  # sealed reads: not in a resident's trail until their seal ends
    events = node.trail.latest(subject_id=subject, limit=TRAIL_EVENTS, hidden=hidden)
    mine = NodeTrailOut(
        custodian=node.body,
        subjectId=subject,
        total=node.trail.count_of(subject, hidden=hidden),
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


def status_of(a: Answer) -> Literal["answered", "unreachable", "no_node"]:
    return "answered" if a.ok else "unreachable" if a.published else "no_node"


def merged(node: Node, subject: str) -> ConsortiumTrail:
    parts = _gather(node, subject, bundle=False)
    events = [ConsortiumEvent(**e.model_dump(), custodian=name) for name, _a, t in parts if t for e in t.events]
    events.sort(key=lambda e: (e.at, e.custodian, e.seq), reverse=True)
    return ConsortiumTrail(
        subjectId=subject,
        complete=all(a.ok or not a.published for _n, a, _t in parts),
        parts=[PartOut(custodian=n, status=status_of(a), total=t.total if t else None, error=a.error) for n, a, t in parts],
        events=events,
    )


def merged_bundle(node: Node, subject: str) -> ConsortiumBundle:
    parts = _gather(node, subject, bundle=True)
    return ConsortiumBundle(
        schema_=MERGED_SCHEMA,
        subject=subject,
        askedAt=dt.datetime.now(dt.UTC),
        parts=[
            BundlePart(custodian=n, status=status_of(a), error=a.error, bundle=t.bundle if t else None) for n, a, t in parts
        ],
    )


def require_auditors_node(node: Node, what: str = "the audit of every node") -> None:
    """``what`` (the audit of every node, by default) runs only at the auditor body's own node."""
    if bodies_at(node.questions, [node.store.body])[0].kind != BodyKind.AUDITOR:
        raise NotAuthorized(
            f"{what} runs at the auditor body's own node: the other nodes answer only that node",
            error="NotAuditorsNode",
        )


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
