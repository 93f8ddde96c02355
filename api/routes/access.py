"""Access requests, standing agreements, grants, consent and residents' accounts.

Requests are made at the custodian's node (this one), since it knows the records and their
categories. Every change is prepare → sign → submit: the person signs, the chain decides
(an admin of another body cannot approve: the contract refuses, and so does the prepare).
Justifications and consent evidence go on-chain only as keccak256 hashes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_validator

from api.deps import Actor, CurrentActor, CurrentMember, Node, NodeDep
from api.routes.tx import Prepared, prepare
from ledger.chain.access import ZERO, Grant, Request, RequestInput, Scope
from ledger.errors import InvalidInput, NotAuthorized, NotFound
from ledger.ids import Role, code_id, code_name, hex32, parse_record_id, salted_hash

router = APIRouter(tags=["access"])

CODE = r"^[a-z0-9][a-z0-9_.-]{0,30}$"
ID = Path(ge=1, le=2**63)
FieldList = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(min_length=1, max_length=64)]


class RequestIn(BaseModel):
    scope: Literal["record", "subject_category"] = Field(examples=["record"])
    recordId: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{64}$", description="For scope record")
    nationalId: str | None = Field(default=None, min_length=15, max_length=32,
                                   description="For scope subject_category: the resident (never stored)")
    category: str | None = Field(default=None, pattern=CODE, description="For scope subject_category")
    custodian: str | None = Field(default=None, pattern=CODE,
                                  description="For scope subject_category: the body whose records are asked for "
                                              "(default: this node's); another body's is asked at its node")
    fields: FieldList = Field(examples=[["address", "income_band"]])
    purpose: str = Field(pattern=CODE, examples=["subsistence_review"])
    justification: str = Field(min_length=3, max_length=2000, examples=["annual subsistence allowance review"],
                               description="Kept off-chain; only its keccak256 goes on-chain")

    @model_validator(mode="after")
    def _scope(self) -> RequestIn:
        if self.scope == "record" and (self.recordId is None or self.nationalId or self.category or self.custodian):
            raise ValueError("scope record takes recordId only")
        if self.scope == "subject_category" and (self.recordId or not self.nationalId or not self.category):
            raise ValueError("scope subject_category takes nationalId and category")
        return self


class AgreementIn(BaseModel):
    custodian: str | None = Field(default=None, pattern=CODE,
                                  description="The body asked (default: this node's); another body is asked at "
                                              "its node")
    category: str = Field(pattern=CODE, examples=["household"])
    fields: FieldList = Field(examples=[["address", "members", "income_band"]])
    purpose: str = Field(pattern=CODE, examples=["subsistence_review"])
    justification: str = Field(min_length=3, max_length=2000)


class ApproveIn(BaseModel):
    expiresAt: dt.datetime | None = Field(default=None, description="When the grant ends")
    days: int | None = Field(default=None, ge=1, le=3660, description="Or: how many days from now", examples=[30])

    @model_validator(mode="after")
    def _one(self) -> ApproveIn:
        if (self.expiresAt is None) == (self.days is None):
            raise ValueError("give expiresAt or days")
        if self.expiresAt is not None:
            if self.expiresAt.tzinfo is None:
                raise ValueError("expiresAt needs a time zone (e.g. 2027-01-31T00:00:00Z)")
            if not dt.datetime(2000, 1, 1, tzinfo=dt.UTC) < self.expiresAt < dt.datetime(2200, 1, 1, tzinfo=dt.UTC):
                raise ValueError("expiresAt must be a date between 2000 and 2200")
        return self


class DenyIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000, description="Kept off-chain; only its hash goes on-chain")


class ConsentIn(BaseModel):
    grantId: int = Field(ge=1, le=2**63 - 1)
    given: bool
    nationalId: str | None = Field(default=None, min_length=15, max_length=32,
                                   description="Committee members recording consent: the resident")
    evidence: str | None = Field(default=None, min_length=3, max_length=2000,
                                 description="Committee members: what the consent rests on (hashed on-chain)")


class Covered(BaseModel):
    """What a request asks for, or a grant gives: whose records, which fields, for what."""

    id: int
    scope: str
    custodian: str
    recordId: str | None
    subjectId: str | None
    category: str
    fields: list[str]
    purpose: str


class KeptTextOut(BaseModel):
    """A free text whose salted hash is on-chain, kept encrypted at the custodian's node: check it with
    keccak256(salt ‖ UTF-8 text) == the on-chain hash."""

    text: str
    salt: str
    matches: bool = Field(description="The node's own check that the text hashes to the on-chain value")


class RequestOut(Covered):
    status: str
    requester: str
    requesterBody: str
    justificationHash: str
    justification: KeptTextOut | None = Field(
        default=None, description="The justification's text, for the custodian's admins, the requester and "
                                  "auditors; null for others, or where this node does not hold it")
    grantId: int | None


class GrantOut(Covered):
    revoked: bool
    expiresAt: dt.datetime
    active: bool = Field(description="Not revoked and not expired, by the chain's clock")
    grantee: str | None = Field(description="null for a standing agreement: every officer of the grantee body")
    granteeBody: str
    requestId: int
    consentRequired: bool
    consent: str | None = Field(description="none, given or refused, for the grant's subject; null for agreements")


# ------------------------------------------------------------------ helpers

def _fields(node: Node, category: str, mask: int) -> list[str]:
    names = node.store.schema(category)
    return [n for i, n in enumerate(names) if mask >> i & 1]


def _mask(node: Node, category: str, fields: list[str]) -> int:
    names = node.store.schema(category)
    unknown = sorted(set(fields) - set(names))
    if unknown:
        raise InvalidInput(f"category {category!r} has no field(s) {', '.join(unknown)}", error="UnknownField")
    return sum(1 << names.index(f) for f in set(fields))


def _opt(value: bytes) -> str | None:
    return None if value == ZERO else hex32(value)


def kept_text(node: Node, text_hash: bytes) -> KeptTextOut | None:
    """The kept text of an on-chain salted hash, with the node's check of it."""
    kept = node.texts.get(hex32(text_hash)) if text_hash != ZERO else None
    if kept is None:
        return None
    again, _ = salted_hash(kept.text, bytes.fromhex(kept.salt[2:]))
    return KeptTextOut(text=kept.text, salt=kept.salt, matches=again == text_hash)


def may_read_texts(actor: Actor, custodian: bytes, author: str) -> bool:
    """Free texts are for the custodian's admins, their author and auditors."""
    return (actor.address == author or Role.AUDITOR in actor.roles
            or (Role.ADMIN in actor.roles and actor.body == code_name(custodian)))


def request_out(node: Node, r: Request, actor: Actor | None = None) -> RequestOut:
    category = code_name(r.category)
    text = kept_text(node, r.justification_hash) if actor and may_read_texts(actor, r.custodian, r.requester) \
        else None
    return RequestOut(id=r.id, scope=r.scope.name.lower(), status=r.status.name.lower(), requester=r.requester,
                      requesterBody=code_name(r.requester_body), custodian=code_name(r.custodian),
                      recordId=_opt(r.record_id), subjectId=_opt(r.subject), category=category,
                      fields=_fields(node, category, r.fields), purpose=code_name(r.purpose),
                      justificationHash=hex32(r.justification_hash), justification=text,
                      grantId=r.grant_id or None)


def grant_out(node: Node, g: Grant, now: int) -> GrantOut:
    category = code_name(g.category)
    agreement = g.scope is Scope.AGREEMENT
    return GrantOut(id=g.id, scope=g.scope.name.lower(), revoked=g.revoked,
                    expiresAt=dt.datetime.fromtimestamp(g.expires_at, dt.UTC), active=not g.revoked and g.expires_at > now,
                    grantee=None if agreement else g.grantee, granteeBody=code_name(g.grantee_body),
                    custodian=code_name(g.custodian), recordId=_opt(g.record_id), subjectId=_opt(g.subject),
                    category=category, fields=_fields(node, category, g.fields), purpose=code_name(g.purpose),
                    requestId=g.request_id,
                    consentRequired=node.contracts.records.get_category(g.category).requires_consent,
                    consent=None if agreement else node.contracts.access.consent_of(g.id, g.subject).name.lower())


def _ask(node: Node, actor: Actor, req: RequestInput, summary: str, salt: bytes, justification: str) -> Prepared:
    return prepare(node, actor, node.contracts.access.handle, "requestAccess", req.as_tuple(), summary=summary,
                   salts={"justification": salt}, texts={"justification": ("justification", justification)})


# ------------------------------------------------------------------ requests

@router.post("/requests", response_model=Prepared, tags=["requests"],
             summary="Prepare: ask this body for access to a record, or to a resident's records of a category",
             description="A record another body keeps is asked of that body's node: this node forwards the request "
                         "(signed as this node); that node checks it, keeps the justification for its admins and "
                         "prepares the transaction, which is signed and submitted here as usual (503 if that node "
                         "does not answer).",
             responses={403: {"description": "Not an officer or admin of another body"},
                        404: {"description": "No such record here"}, 422: {"description": "Unknown field or purpose"},
                        503: {"description": "The custodian's node does not answer"}})
def create_request(body: RequestIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.OFFICER | Role.ADMIN, "request access")
    if body.scope == "record" and body.recordId:
        keeper = node.keeper_of(parse_record_id(body.recordId))
    else:
        keeper = _other_custodian(node, body.custodian)
    if keeper is not None:
        return forwarded(node, keeper, "/node/requests", {**body.model_dump(), "requester": actor.address})
    return request_here(node, actor, body)


def _other_custodian(node: Node, custodian: str | None) -> bytes | None:
    """The named body, when it is another active one (404 for an unknown or removed body)."""
    if custodian is None or custodian == node.body:
        return None
    if not node.contracts.bodies.is_active(code_id(custodian)):
        raise NotFound(f"no active body {custodian} in the consortium", error="NoSuchBody")
    return code_id(custodian)


def forwarded(node: Node, keeper: bytes, path: str, payload: dict[str, Any]) -> Any:
    """What ``keeper``'s node prepared for this node's member (signed and submitted here), or its refusal."""
    status, answer = node.peers.post(keeper, path, payload)
    return Prepared.model_validate(answer) if status == 200 else JSONResponse(answer, status_code=status)


def request_here(node: Node, actor: Actor, body: RequestIn) -> Prepared:
    """The request prepared at this node, the custodian, which keeps its justification."""
    custodian = code_id(node.body)
    justification, salt = salted_hash(body.justification)
    if body.scope == "record":
        assert body.recordId is not None
        record = node.store.get(parse_record_id(body.recordId))
        req = RequestInput(Scope.RECORD, _mask(node, record.category, body.fields), code_id(body.purpose),
                           justification, record_id=parse_record_id(record.record_id))
        what = f"record {record.record_id[:10]}…"
    else:
        assert body.category is not None and body.nationalId is not None
        subject = node.store.subject_of(body.nationalId)
        req = RequestInput(Scope.SUBJECT_CATEGORY, _mask(node, body.category, body.fields), code_id(body.purpose),
                           justification, custodian=custodian, subject=subject,
                           category=code_id(body.category))
        what = f"a resident's {body.category} records"
    return _ask(node, actor, req, f"request {', '.join(sorted(body.fields))} of {what} at {node.body} "
                                  f"for {body.purpose}", salt, body.justification)


@router.post("/agreements", response_model=Prepared, tags=["requests"],
             summary="Prepare: ask this body, or another at its node, for a standing agreement (admins of the "
                     "asking body)", responses={503: {"description": "The custodian's node does not answer"}})
def create_agreement(body: AgreementIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.ADMIN, "ask for a standing agreement")
    keeper = _other_custodian(node, body.custodian)
    if keeper is not None:
        return forwarded(node, keeper, "/node/agreements", {**body.model_dump(), "requester": actor.address})
    return agreement_here(node, actor, body)


def agreement_here(node: Node, actor: Actor, body: AgreementIn) -> Prepared:
    """The agreement request prepared at this node, the custodian, which keeps its justification."""
    justification, salt = salted_hash(body.justification)
    req = RequestInput(Scope.AGREEMENT, _mask(node, body.category, body.fields), code_id(body.purpose),
                       justification, custodian=code_id(node.body), category=code_id(body.category))
    return _ask(node, actor, req, f"ask {node.body} for a standing agreement on {body.category} for {body.purpose}",
                salt, body.justification)


@router.get("/requests", response_model=list[RequestOut], tags=["requests"],
            summary="Requests: mine, or (officers and admins of this body) made to this body")
def list_requests(actor: CurrentMember, node: NodeDep,
                  view: Annotated[Literal["mine", "pending", "all"], Query()] = "mine") -> list[RequestOut]:
    access = node.contracts.access
    if view == "mine":
        ids = node.indexer.request_ids(requester=actor.address)
    else:
        actor.require(Role.OFFICER | Role.ADMIN, "see the requests made to this body", body=node.body)
        ids = node.indexer.request_ids(custodian=code_id(node.body))
    out = [request_out(node, access.get_request(i), actor) for i in ids]
    return [r for r in out if view != "pending" or r.status == "pending"]


@router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"], summary="One request")
def get_request(request_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> RequestOut:
    r = node.contracts.access.get_request(request_id)
    if r.requester != actor.address and code_name(r.custodian) != actor.body:
        raise NotAuthorized("a request is seen by its requester and by the custodian's members", error="NotParty")
    return request_out(node, r, actor)


@router.post("/requests/{request_id}/approve", response_model=Prepared, tags=["requests"],
             summary="Prepare: approve a pending request until a date (admins of the custodian)",
             responses={403: {"description": "Not an admin of the request's custodian"},
                        409: {"description": "Not pending"}})
def approve(request_id: Annotated[int, ID], body: ApproveIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    r = node.contracts.access.get_request(request_id)
    actor.require(Role.ADMIN, "approve requests", body=code_name(r.custodian))
    expires = int(body.expiresAt.timestamp()) if body.expiresAt else node.chain.timestamp() + body.days * 86_400  # type: ignore[operator]
    return prepare(node, actor, node.contracts.access.handle, "approveRequest", request_id, expires,
                   summary=f"approve request {request_id} until "
                           f"{dt.datetime.fromtimestamp(expires, dt.UTC):%Y-%m-%d %H:%M} UTC")


@router.post("/requests/{request_id}/deny", response_model=Prepared, tags=["requests"],
             summary="Prepare: deny a pending request (admins of the custodian)")
def deny(request_id: Annotated[int, ID], body: DenyIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    r = node.contracts.access.get_request(request_id)
    actor.require(Role.ADMIN, "deny requests", body=code_name(r.custodian))
    reason, salt = salted_hash(body.reason)
    return prepare(node, actor, node.contracts.access.handle, "denyRequest", request_id, reason,
                   summary=f"deny request {request_id}", salts={"reason": salt}, texts={"reason": ("reason", body.reason)})


@router.post("/requests/{request_id}/cancel", response_model=Prepared, tags=["requests"],
             summary="Prepare: withdraw my own pending request")
def cancel(request_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> Prepared:
    return prepare(node, actor, node.contracts.access.handle, "cancelRequest", request_id,
                   summary=f"withdraw request {request_id}")


# -------------------------------------------------------------------- grants

@router.get("/grants", response_model=list[GrantOut], tags=["grants"],
            summary="Grants: those my body holds from this body, or (this body's members) all it gave")
def list_grants(actor: CurrentMember, node: NodeDep,
                view: Annotated[Literal["mine", "given"], Query()] = "mine") -> list[GrantOut]:
    access = node.contracts.access
    custodian = code_id(node.body)
    if view == "mine":
        assert actor.body is not None
        ids = node.indexer.grant_ids(custodian=custodian, grantee_body=code_id(actor.body))
    else:
        actor.require(Role.OFFICER | Role.ADMIN | Role.AUDITOR, "see the grants this body gave", body=node.body)
        ids = node.indexer.grant_ids(custodian=custodian)
    now = node.chain.timestamp()
    grants = [access.get_grant(i) for i in ids]
    if view == "mine":
        grants = [g for g in grants if g.scope is Scope.AGREEMENT or g.grantee == actor.address]
    return [grant_out(node, g, now) for g in grants]


@router.get("/grants/{grant_id}", response_model=GrantOut, tags=["grants"], summary="One grant")
def get_grant(grant_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> GrantOut:
    g = node.contracts.access.get_grant(grant_id)
    if actor.body not in (code_name(g.custodian), code_name(g.grantee_body)) and Role.AUDITOR not in actor.roles:
        raise NotAuthorized("a grant is seen by its two bodies and by auditors", error="NotParty")
    return grant_out(node, g, node.chain.timestamp())


@router.delete("/grants/{grant_id}", response_model=Prepared, tags=["grants"],
               summary="Prepare: revoke a grant (admins of its custodian); the next read is refused")
def revoke(grant_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> Prepared:
    g = node.contracts.access.get_grant(grant_id)
    actor.require(Role.ADMIN, "revoke grants", body=code_name(g.custodian))
    return prepare(node, actor, node.contracts.access.handle, "revokeGrant", grant_id,
                   summary=f"revoke grant {grant_id}")


# ---------------------------------------------------------- consent, residents

@router.post("/consent", response_model=Prepared, tags=["consent"],
             summary="Prepare: give or refuse consent under a grant (the resident, or their own committee with evidence, "
                     "at its node)",
             responses={403: {"description": "Neither the resident nor an officer or admin of their own residents' "
                                            "committee at its node (NotResidentsCommittee)"}})
def consent(body: ConsentIn, actor: CurrentActor, node: NodeDep) -> Prepared:
    access = node.contracts.access
    grant = access.get_grant(body.grantId)
    if actor.body is None:  # a resident with a wallet, bound to their subject on-chain
        subject = node.contracts.residents.resident_subject(actor.address)
        if subject == ZERO:
            raise NotAuthorized("this account is not linked to a resident; ask your committee to link it",
                                error="NotResident")
        evidence, salts, texts = ZERO, {}, {}
    else:
        if body.nationalId is None or body.evidence is None:
            raise InvalidInput("a committee member recording consent gives the resident's nationalId and the "
                               "evidence", error="EvidenceRequired")
        subject = node.store.subject_of(body.nationalId)
        node.require_own_resident(subject, "record a resident's consent", actor)
        evidence, salt = salted_hash(body.evidence)
        salts = {"evidence": salt}
        texts = {"evidence": ("evidence", body.evidence)}
    if grant.scope is not Scope.AGREEMENT and grant.subject != subject:
        raise NotFound("this grant is not about this resident", error="SubjectMismatch")
    word = "give" if body.given else "refuse"
    return prepare(node, actor, access.handle, "setConsent", body.grantId, subject, body.given, evidence,
                   summary=f"{word} consent under grant {body.grantId}", salts=salts, texts=texts)


def waiting_for_consent(node: Node, subject: str) -> list[GrantOut]:
    """Active grants about ``subject``, of any custodian in the consortium (from the chain index), whose
    category needs consent not given yet."""
    access, now = node.contracts.access, node.chain.timestamp()
    out = []
    for gid in node.indexer.grant_ids_about(subject):
        g = access.get_grant(gid)
        if g.scope is Scope.AGREEMENT or hex32(g.subject) != subject or g.revoked or g.expires_at <= now:
            continue
        grant = grant_out(node, g, now)
        if grant.consentRequired and grant.consent == "none":
            out.append(grant)
    return out


@router.get("/consent/mine", response_model=list[GrantOut], tags=["consent"],
            summary="Grants about me that wait for my consent (a resident with their own account)",
            responses={403: {"description": "The account is not linked to a resident"}})
def my_waiting_consents(actor: CurrentActor, node: NodeDep) -> list[GrantOut]:
    subject = node.contracts.residents.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it",
                            error="NotResident")
    return waiting_for_consent(node, hex32(subject))
