"""The access trail: residents see who read their records (by wallet or access code); auditors see all.

An access code is issued by the resident's committee (this body's officers and admins),
shown once, and kept only as a hash; a new code replaces the old one. Attempts with codes
are rate-limited per client.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from api.deps import Actor, CurrentActor, CurrentMember, Node, NodeDep
from api.ratelimit import RateLimit
from api.routes.access import GrantOut, waiting_for_consent
from api.schemas import EventMaterial, TrailBundle
from ledger.chain.access import ZERO
from ledger.errors import InvalidInput, NotAuthenticated, NotAuthorized, NotFound
from ledger.ids import Role, code_name, hex32, parse_record_id
from ledger.store.models import AccessEvent
from ledger.trail.proofs import build_trail, event_material, proof_of

router = APIRouter(prefix="/trail", tags=["trail"])


class CodeIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, description="The resident (never stored)")


class CodeOut(BaseModel):
    code: str = Field(description="Shown once; 100 bits", examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])
    expiresAt: dt.datetime


class ByCodeIn(BaseModel):
    code: str = Field(min_length=20, max_length=40, examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])


class PageIn(ByCodeIn):
    before: int | None = Field(default=None, ge=1, le=2**63 - 1,
                               description="Events before this sequence number (the previous page's nextBefore)")
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


class TrailEvent(BaseModel):
    seq: int
    at: dt.datetime
    reader: str = Field(description="The officer's account")
    readerName: str | None = Field(default=None, description="The officer's name, from the members' directory")
    readerPost: str | None = Field(default=None, description="The officer's post, from the members' directory")
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


class TrailOut(BaseModel):
    custodian: str = Field(description="The body whose records these reads were of")
    subjectId: str | None
    events: list[TrailEvent]


class TrailPage(TrailOut):
    """A resident's events, newest first, one page."""

    total: int = Field(description="How many events the resident has at this node")
    nextBefore: int | None = Field(description="Pass as `before` for the next (older) page; null on the last page")


def events_out(node: Node, events: list[AccessEvent]) -> list[TrailEvent]:
    """Events with their emergency flags (from the chain index) and anchors."""
    anchors = node.trail.anchors_of([e.seq for e in events])
    people = node.directory.people({e.reader for e in events})
    out = []
    for e in events:
        flag = None
        if e.emergency_id:
            em = node.indexer.emergency(e.emergency_id)
            reviewed = em is not None and em.reviewed_at is not None
            flag = EmergencyFlag(id=e.emergency_id, reviewed=reviewed, justified=em.justified if em else None)
        a = anchors.get(e.seq)
        anchor = AnchorRef(firstSeq=a.first_seq, lastSeq=a.last_seq, kind=a.kind, transactionHash=a.tx_hash,
                           blockNumber=a.block) if a else None
        who = people.get(e.reader)
        out.append(TrailEvent(seq=e.seq, at=e.at, reader=e.reader, readerName=who.name if who else None,
                              readerPost=who.post if who else None,
                              readerBody=code_name(bytes.fromhex(e.reader_body[2:])),
                              recordId=e.record_id, version=e.version, category=e.category,
                              fields=json.loads(e.fields), purpose=e.purpose, grantId=e.grant_id or None,
                              emergency=flag, eventHash=e.event_hash, anchor=anchor))
    return out


def _limit(request: Request) -> RateLimit:
    limiter: RateLimit | None = getattr(request.app.state, "code_limit", None)
    if limiter is None:
        s = request.app.state.node.settings
        limiter = request.app.state.code_limit = RateLimit(s.api_code_attempts, s.api_code_window)
    return limiter


@router.post("/codes", response_model=CodeOut, status_code=201,
             summary="Issue a resident's access code (officers and admins of the resident's own committee, at its "
                     "node); shown once",
             responses={403: {"description": "Not the resident's own residents' committee (NotResidentsCommittee), "
                                            "or not its officer or admin"}})
def issue_code(body: CodeIn, actor: CurrentMember, node: NodeDep) -> CodeOut:
    actor.require(Role.OFFICER | Role.ADMIN, "issue access codes", body=node.body)
    subject = node.store.subject_of(body.nationalId)
    node.require_own_resident(subject, "issue access codes", actor)
    code, expires = node.trail.issue_code(subject_id=hex32(subject), issued_by=actor.address)
    return CodeOut(code=code, expiresAt=expires)


def subject_by_code(node: Node, request: Request, code: str) -> str:
    limit, client = _limit(request), request.client.host if request.client else "unknown"
    limit.check(client)
    try:
        subject = node.trail.subject_of_code(code)
    except InvalidInput:
        limit.fail(client)
        raise
    if subject is None:
        limit.fail(client)
        raise NotAuthenticated("the access code is not valid (unknown, replaced or expired)")
    node.require_own_resident(parse_record_id(subject), "show a resident's trail by access code (a resident who "
                              "moved asks their new committee for a code)")
    return subject


def my_subject(node: Node, actor: Actor) -> str:
    subject = node.contracts.residents.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it",
                            error="NotResident")
    return hex32(subject)


def trail_bundle(node: Node, subject: str) -> dict[str, Any]:
    return build_trail(node.trail, node.contracts, node.relayer.account, subject)


BUNDLE_DOC = ("A trail bundle: the subject's events with their signed read requests, inclusion proofs, "
              "the body's anchors, and the node's signed head. Check it with `ledger verify trail`.")


@router.post("/by-code/bundle", response_model=TrailBundle,
             summary="A resident's trail bundle, with their access code (rate-limited)",
             description=BUNDLE_DOC, responses={401: {"description": "Unknown, replaced or expired code"}})
def bundle_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> dict[str, Any]:
    return trail_bundle(node, subject_by_code(node, request, body.code))


@router.get("/mine/bundle", response_model=TrailBundle,
            summary="My trail bundle, as a resident signed in with my own account",
            description=BUNDLE_DOC)
def my_bundle(actor: CurrentActor, node: NodeDep) -> dict[str, Any]:
    return trail_bundle(node, my_subject(node, actor))


@router.get("/bundle", response_model=TrailBundle, summary="A subject's trail bundle (auditors)", description=BUNDLE_DOC)
def subject_bundle(actor: CurrentMember, node: NodeDep,
                   subjectId: Annotated[str, Query(pattern=r"^0x[0-9a-fA-F]{64}$")]) -> dict[str, Any]:
    actor.require(Role.AUDITOR, "read a subject's trail bundle")
    return trail_bundle(node, subjectId.lower())


class ProofOut(BaseModel):
    seq: int
    eventHash: str
    anchor: AnchorRef
    root: str
    proof: list[str] = Field(description="StandardMerkleTree proof of the leaf (uint64 seq, bytes32 eventHash); "
                                         "empty for an event anchored alone")


@router.get("/proofs/{seq}", response_model=ProofOut,
            summary="An event's inclusion proof, once anchored (the reader, this body's members, auditors)",
            responses={404: {"description": "No such event, or not anchored yet"}})
def proof(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: CurrentActor, node: NodeDep) -> ProofOut:
    event = node.trail.get(seq)
    if event is None:
        raise NotFound(f"no access event {seq} at this node", error="NoSuchEvent")
    if event.reader.lower() != actor.address.lower() and actor.body != node.body and Role.AUDITOR not in actor.roles:
        raise NotAuthorized("an event's proof is for its reader, the custodian's members and auditors",
                            error="NotParty")
    a = node.trail.anchors_of([seq]).get(seq)
    if a is None:
        raise NotFound(f"access event {seq} is not anchored yet; see its receipt's anchorBy", error="NotAnchoredYet")
    steps = proof_of(node.trail.between(a.first_seq, a.last_seq), seq) if a.kind == "batch" else []
    return ProofOut(seq=seq, eventHash=event.event_hash, root=a.root, proof=steps,
                    anchor=AnchorRef(firstSeq=a.first_seq, lastSeq=a.last_seq, kind=a.kind,
                                     transactionHash=a.tx_hash, blockNumber=a.block))


def _page(node: Node, subject: str, before: int | None, limit: int) -> TrailPage:
    events = node.trail.latest(subject_id=subject, before=before, limit=limit + 1)
    more = len(events) > limit
    events = events[:limit]
    return TrailPage(custodian=node.body, subjectId=subject, events=events_out(node, events),
                     total=node.trail.count_of(subject), nextBefore=events[-1].seq if more else None)


@router.post("/by-code", response_model=TrailPage, summary="A resident's trail, newest first and paged, with the "
                                                            "access code their committee issued (no account needed; "
                                                            "rate-limited)",
             responses={401: {"description": "Unknown, replaced or expired code"},
                        429: {"description": "Too many attempts; see Retry-After"}})
def trail_by_code(body: PageIn, node: NodeDep, request: Request) -> TrailPage:
    return _page(node, subject_by_code(node, request, body.code), body.before, body.limit)


Before = Annotated[int | None, Query(ge=1, le=2**63 - 1, description="Events before this sequence number")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/mine", response_model=TrailPage, summary="My trail, newest first and paged, as a resident signed in "
                                                        "with my own account",
            responses={403: {"description": "The account is not linked to a resident"}})
def my_trail(actor: CurrentActor, node: NodeDep, before: Before = None, limit: Limit = 50) -> TrailPage:
    return _page(node, my_subject(node, actor), before, limit)


@router.post("/by-code/consents", response_model=list[GrantOut], tags=["consent"],
             summary="Grants about the resident that wait for their consent (access code; answering needs their "
                     "own key, or their committee)",
             responses={401: {"description": "Unknown, replaced or expired code"}})
def consents_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> list[GrantOut]:
    return waiting_for_consent(node, subject_by_code(node, request, body.code))


EVENT_DOC = ("One event with what is needed to verify it alone, trusting no node: its content and signed read "
             "request, its inclusion proof and anchor, and the node's signed head of the resident's trail.")


def _material(node: Node, subject: str, seq: int) -> dict[str, Any]:
    found = event_material(node.trail, node.contracts, node.relayer.account, subject, seq)
    if found is None:
        raise NotFound(f"no access event {seq} of this resident at this node", error="NoSuchEvent")
    return found


@router.post("/by-code/events/{seq}", response_model=EventMaterial,
             summary="One of the resident's events, to verify (access code)",
             description=EVENT_DOC, responses={401: {"description": "Unknown, replaced or expired code"},
                                               404: {"description": "Not one of this resident's events"}})
def event_by_code(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], body: ByCodeIn, node: NodeDep,
                  request: Request) -> dict[str, Any]:
    return _material(node, subject_by_code(node, request, body.code), seq)


@router.get("/mine/events/{seq}", response_model=EventMaterial,
            summary="One of my events, to verify (a resident's own account)",
            description=EVENT_DOC, responses={404: {"description": "Not one of my events"}})
def my_event(seq: Annotated[int, Path(ge=1, le=2**63 - 1)], actor: CurrentActor, node: NodeDep) -> dict[str, Any]:
    return _material(node, my_subject(node, actor), seq)


@router.get("", response_model=TrailOut, summary="The whole trail of this node, or one subject's (auditors)")
def audit_trail(actor: CurrentMember, node: NodeDep,
                subjectId: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
                after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Events after this sequence number")] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> TrailOut:
    actor.require(Role.AUDITOR, "read the whole trail")
    sid = subjectId.lower() if subjectId else None
    return TrailOut(custodian=node.body, subjectId=sid,
                    events=events_out(node, node.trail.events(subject_id=sid, after=after, limit=limit)))
