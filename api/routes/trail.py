"""The access trail: residents see who read their records (by wallet or access code); auditors see all.

An access code is issued by the resident's committee (this body's officers and admins),
shown once, and kept only as a hash; a new code replaces the old one. Attempts with codes
are rate-limited per client.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.deps import CurrentActor, CurrentMember, NodeDep
from api.schemas.access import GrantOut
from api.schemas.common import EventMaterial, TrailBundle
from api.schemas.trail import (
    AccessCodeIn,
    AnchorRef,
    ByCodeIn,
    CodeIn,
    CodeOut,
    PageIn,
    ProofOut,
    SessionOut,
    TrailOut,
    TrailPage,
)
from api.services.access import waiting_for_consent
from api.services.custody import require_own_resident
from api.services.trail import events_out, material, my_subject, open_session, page, subject_by_code, trail_bundle
from ledger.errors import NotAuthorized, NotFound
from ledger.ids import Role, hex32
from ledger.trail.proofs import proof_of

router = APIRouter(prefix="/trail", tags=["trail"])


@router.post(
    "/codes",
    response_model=CodeOut,
    status_code=201,
    summary="Issue a resident's access code (officers and admins of the resident's own committee, at its node); shown once",
    responses={
        403: {
            "description": "Not the resident's own residents' committee (NotResidentsCommittee), or not its officer or admin"
        }
    },
)
def issue_code(body: CodeIn, actor: CurrentMember, node: NodeDep) -> CodeOut:
    actor.require(Role.OFFICER | Role.ADMIN, "issue access codes", body=node.body)
    subject = node.store.subject_of(body.nationalId)
    require_own_resident(node, subject, "issue access codes", actor)
    code, expires = node.trail.issue_code(subject_id=hex32(subject), issued_by=actor.address)
    return CodeOut(code=code, expiresAt=expires)


BUNDLE_DOC = (
    "A trail bundle: the subject's events with their signed read requests, inclusion proofs, "
    "the body's anchors, and the node's signed head. Check it with `ledger verify trail`."
)


@router.post(
    "/by-code/bundle",
    response_model=TrailBundle,
    summary="A resident's trail bundle, with their access code (rate-limited)",
    description=BUNDLE_DOC,
    responses={401: {"description": "Unknown, replaced or expired code"}},
)
def bundle_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> dict[str, Any]:
    return trail_bundle(node, subject_by_code(node, request, body))


@router.get(
    "/mine/bundle",
    response_model=TrailBundle,
    summary="My trail bundle, as a resident signed in with my own account",
    description=BUNDLE_DOC,
)
def my_bundle(actor: CurrentActor, node: NodeDep) -> dict[str, Any]:
    return trail_bundle(node, my_subject(node, actor))


@router.get("/bundle", response_model=TrailBundle, summary="A subject's trail bundle (auditors)", description=BUNDLE_DOC)
def subject_bundle(
    actor: CurrentMember, node: NodeDep, subjectId: Annotated[str, Query(pattern=r"^0x[0-9a-fA-F]{64}$")]
) -> dict[str, Any]:
    actor.require(Role.AUDITOR, "read a subject's trail bundle")
    return trail_bundle(node, subjectId.lower())


@router.get(
    "/proofs/{seq}",
    response_model=ProofOut,
    summary="An event's inclusion proof, once anchored (the reader, this body's members, auditors)",
    responses={404: {"description": "No such event, or not anchored yet"}},
)
def proof(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: CurrentActor, node: NodeDep) -> ProofOut:
    event = node.trail.get(seq)
    if event is None:
        raise NotFound(f"no access event {seq} at this node", error="NoSuchEvent")
    if event.reader.lower() != actor.address.lower() and actor.body != node.body and Role.AUDITOR not in actor.roles:
        raise NotAuthorized("an event's proof is for its reader, the custodian's members and auditors", error="NotParty")
    a = node.trail.anchors_of([seq]).get(seq)
    if a is None:
        raise NotFound(f"access event {seq} is not anchored yet; see its receipt's anchorBy", error="NotAnchoredYet")
    steps = proof_of(node.trail.between(a.first_seq, a.last_seq), seq) if a.kind == "batch" else []
    return ProofOut(
        seq=seq,
        eventHash=event.event_hash,
        root=a.root,
        proof=steps,
        anchor=AnchorRef(
            firstSeq=a.first_seq, lastSeq=a.last_seq, kind=a.kind, transactionHash=a.tx_hash, blockNumber=a.block
        ),
    )


@router.post(
    "/by-code/session",
    response_model=SessionOut,
    summary="Open a trail session with the access code: a page keeps the session for its tab instead of the "
    "code; it ends with the code (replaced or expired), or after the sign-in lifetime",
    responses={
        401: {"description": "Unknown, replaced or expired code"},
        429: {"description": "Too many attempts; see Retry-After"},
    },
)
def trail_session(body: AccessCodeIn, node: NodeDep, request: Request) -> SessionOut:
    return open_session(node, request, body.code)


@router.post(
    "/by-code",
    response_model=TrailPage,
    summary="A resident's trail, newest first and paged, with the "
    "access code their committee issued (no account needed; "
    "rate-limited)",
    responses={
        401: {"description": "Unknown, replaced or expired code"},
        429: {"description": "Too many attempts; see Retry-After"},
    },
)
def trail_by_code(body: PageIn, node: NodeDep, request: Request) -> TrailPage:
    return page(node, subject_by_code(node, request, body), body.before, body.limit)


Before = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Events before this sequence number")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get(
    "/mine",
    response_model=TrailPage,
    summary="My trail, newest first and paged, as a resident signed in with my own account",
    responses={403: {"description": "The account is not linked to a resident"}},
)
def my_trail(actor: CurrentActor, node: NodeDep, before: Before = None, limit: Limit = 50) -> TrailPage:
    return page(node, my_subject(node, actor), before, limit)


@router.post(
    "/by-code/consents",
    response_model=list[GrantOut],
    tags=["consent"],
    summary="Grants about the resident that wait for their consent (access code; answering needs their "
    "own key, or their committee)",
    responses={401: {"description": "Unknown, replaced or expired code"}},
)
def consents_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> list[GrantOut]:
    return waiting_for_consent(node, subject_by_code(node, request, body))


EVENT_DOC = (
    "One event with what is needed to verify it alone, trusting no node: its content and signed read "
    "request, its inclusion proof and anchor, and the node's signed head of the resident's trail."
)


@router.post(
    "/by-code/events/{seq}",
    response_model=EventMaterial,
    summary="One of the resident's events, to verify (access code)",
    description=EVENT_DOC,
    responses={
        401: {"description": "Unknown, replaced or expired code"},
        404: {"description": "Not one of this resident's events"},
    },
)
def event_by_code(
    seq: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ByCodeIn, node: NodeDep, request: Request
) -> dict[str, Any]:
    return material(node, subject_by_code(node, request, body), seq)


@router.get(
    "/mine/events/{seq}",
    response_model=EventMaterial,
    summary="One of my events, to verify (a resident's own account)",
    description=EVENT_DOC,
    responses={404: {"description": "Not one of my events"}},
)
def my_event(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: CurrentActor, node: NodeDep) -> dict[str, Any]:
    return material(node, my_subject(node, actor), seq)


@router.get("", response_model=TrailOut, summary="The whole trail of this node, or one subject's (auditors)")
def audit_trail(
    actor: CurrentMember,
    node: NodeDep,
    subjectId: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Events after this sequence number")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> TrailOut:
    actor.require(Role.AUDITOR, "read the whole trail")
    sid = subjectId.lower() if subjectId else None
    return TrailOut(
        custodian=node.body,
        subjectId=sid,
        events=events_out(node, node.trail.events(subject_id=sid, after=after, limit=limit)),
    )
