"""The access trail: residents see who read their records (by wallet or access code); auditors see all.

An access code is issued by the resident's committee (this body's officers and admins),
shown once, and kept only as a hash; a new code replaces the old one. Attempts with codes
are rate-limited per client.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from api.deps import CurrentActor, CurrentMember, Node, NodeDep
from api.ratelimit import RateLimit
from ledger.chain.access import ZERO, Emergency
from ledger.errors import NotAuthenticated, NotAuthorized
from ledger.ids import Role, code_name
from ledger.store.models import AccessEvent
from ledger.store.records import hex32

router = APIRouter(prefix="/trail", tags=["trail"])


class CodeIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, description="The resident (never stored)")


class CodeOut(BaseModel):
    code: str = Field(description="Shown once; 100 bits", examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])
    expiresAt: dt.datetime


class ByCodeIn(BaseModel):
    code: str = Field(min_length=20, max_length=40, examples=["7K3M-Q9XD-2HBT-WN4R-8PZC"])


class EmergencyFlag(BaseModel):
    id: int
    reviewed: bool
    justified: bool | None


class TrailEvent(BaseModel):
    seq: int
    at: dt.datetime
    reader: str = Field(description="The officer's account")
    readerBody: str
    recordId: str
    version: int
    category: str
    fields: list[str]
    purpose: str
    grantId: int | None
    emergency: EmergencyFlag | None = Field(description="Set for a break-glass read: flagged until reviewed")
    eventHash: str


class TrailOut(BaseModel):
    custodian: str = Field(description="The body whose records these reads were of")
    subjectId: str | None
    events: list[TrailEvent]


def _events_out(node: Node, events: list[AccessEvent]) -> list[TrailEvent]:
    flags: dict[int, Emergency] = {}
    out = []
    for e in events:
        flag = None
        if e.emergency_id:
            if e.emergency_id not in flags:
                flags[e.emergency_id] = node.contracts.access.get_emergency(e.emergency_id)
            em = flags[e.emergency_id]
            flag = EmergencyFlag(id=em.id, reviewed=em.reviewed, justified=em.justified if em.reviewed else None)
        out.append(TrailEvent(seq=e.seq, at=e.at, reader=e.reader, readerBody=code_name(bytes.fromhex(e.reader_body[2:])),
                              recordId=e.record_id, version=e.version, category=e.category,
                              fields=json.loads(e.fields), purpose=e.purpose, grantId=e.grant_id or None,
                              emergency=flag, eventHash=e.event_hash))
    return out


def _limit(request: Request) -> RateLimit:
    limiter: RateLimit | None = getattr(request.app.state, "code_limit", None)
    if limiter is None:
        s = request.app.state.node.settings
        limiter = request.app.state.code_limit = RateLimit(s.api_code_attempts, s.api_code_window)
    return limiter


@router.post("/codes", response_model=CodeOut, status_code=201,
             summary="Issue a resident's access code (this committee's officers and admins); shown once")
def issue_code(body: CodeIn, actor: CurrentMember, node: NodeDep) -> CodeOut:
    actor.require(Role.OFFICER | Role.ADMIN, "issue access codes", body=node.body)
    code, expires = node.trail.issue_code(subject_id=hex32(node.store.subject_of(body.nationalId)),
                                          issued_by=actor.address)
    return CodeOut(code=code, expiresAt=expires)


@router.post("/by-code", response_model=TrailOut, summary="A resident's trail, with the access code their "
                                                           "committee issued (no account needed; rate-limited)",
             responses={401: {"description": "Unknown, replaced or expired code"},
                        429: {"description": "Too many attempts; see Retry-After"}})
def trail_by_code(body: ByCodeIn, node: NodeDep, request: Request) -> TrailOut:
    _limit(request).hit(request.client.host if request.client else "unknown")
    subject = node.trail.subject_of_code(body.code)
    if subject is None:
        raise NotAuthenticated("the access code is not valid (unknown, replaced or expired)")
    return TrailOut(custodian=node.body, subjectId=subject, events=_events_out(node, node.trail.events(subject_id=subject)))


@router.get("/mine", response_model=TrailOut, summary="My trail, as a resident signed in with my own account",
            responses={403: {"description": "The account is not linked to a resident"}})
def my_trail(actor: CurrentActor, node: NodeDep) -> TrailOut:
    subject = node.contracts.access.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it",
                            error="NotResident")
    sid = hex32(subject)
    return TrailOut(custodian=node.body, subjectId=sid, events=_events_out(node, node.trail.events(subject_id=sid)))


@router.get("", response_model=TrailOut, summary="The whole trail of this node, or one subject's (auditors)")
def audit_trail(actor: CurrentMember, node: NodeDep,
                subjectId: Annotated[str | None, Query(pattern=r"^0x[0-9a-fA-F]{64}$")] = None,
                after: Annotated[int, Query(ge=0, description="Events after this sequence number")] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> TrailOut:
    actor.require(Role.AUDITOR, "read the whole trail")
    sid = subjectId.lower() if subjectId else None
    return TrailOut(custodian=node.body, subjectId=sid,
                    events=_events_out(node, node.trail.events(subject_id=sid, after=after, limit=limit)))
