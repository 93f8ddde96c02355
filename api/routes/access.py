"""Access requests, standing agreements, grants, consent and residents' accounts.

Requests are made at the custodian's node (this one), since it knows the records and their
categories. Every change is prepare → sign → submit: the person signs, the chain decides
(an admin of another body cannot approve: the contract refuses, and so does the prepare).
Justifications and consent evidence go on-chain only as keccak256 hashes.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from api.deps import CurrentActor, CurrentMember, NodeDep
from api.schemas.access import ID, AgreementIn, ApproveIn, ConsentIn, DenyIn, GrantOut, RequestIn, RequestOut
from api.schemas.tx import Prepared
from api.services.access import (
    agreement_here,
    forwarded,
    grant_out,
    grants_of,
    other_custodian,
    request_here,
    request_out,
    requests_of,
    waiting_for_consent,
)
from api.services.custody import keeper_of, require_own_resident
from api.services.transactions import prepare
from ledger.chain.access import ZERO, Scope
from ledger.errors import InvalidInput, NotAuthorized, NotFound
from ledger.ids import Role, code_name, hex32, parse_record_id, salted_hash

router = APIRouter(tags=["access"])


# ------------------------------------------------------------------ helpers


# ------------------------------------------------------------------ requests


@router.post(
    "/requests",
    response_model=Prepared,
    tags=["requests"],
    summary="Prepare: ask this body for access to a record, or to a resident's records of a category",
    description="A record another body keeps is asked of that body's node: this node forwards the request "
    "(signed as this node); that node checks it, keeps the justification for its admins and "
    "prepares the transaction, which is signed and submitted here as usual (503 if that node "
    "does not answer).",
    responses={
        403: {"description": "Not an officer or admin of another body"},
        404: {"description": "No such record here"},
        422: {"description": "Unknown field or purpose"},
        503: {"description": "The custodian's node does not answer"},
    },
)
def create_request(body: RequestIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.OFFICER | Role.ADMIN, "request access")
    if body.scope == "record" and body.recordId:
        keeper = keeper_of(node, parse_record_id(body.recordId))
    else:
        keeper = other_custodian(node, body.custodian)
    if keeper is not None:
        return forwarded(node, keeper, "/node/requests", {**body.model_dump(), "requester": actor.address})
    return request_here(node, actor, body)


@router.post(
    "/agreements",
    response_model=Prepared,
    tags=["requests"],
    summary="Prepare: ask this body, or another at its node, for a standing agreement (admins of the asking body)",
    responses={503: {"description": "The custodian's node does not answer"}},
)
def create_agreement(body: AgreementIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.ADMIN, "ask for a standing agreement")
    keeper = other_custodian(node, body.custodian)
    if keeper is not None:
        return forwarded(node, keeper, "/node/agreements", {**body.model_dump(), "requester": actor.address})
    return agreement_here(node, actor, body)


@router.get(
    "/requests",
    response_model=list[RequestOut],
    tags=["requests"],
    summary="Requests: mine, to every body (from the chain index), or (officers and admins of this body) made to this body",
)
def list_requests(
    actor: CurrentMember, node: NodeDep, view: Annotated[Literal["mine", "pending", "all"], Query()] = "mine"
) -> list[RequestOut]:
    return requests_of(node, actor, view)


@router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"], summary="One request")
def get_request(request_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> RequestOut:
    r = node.contracts.access.get_request(request_id)
    if r.requester != actor.address and code_name(r.custodian) != actor.body:
        raise NotAuthorized("a request is seen by its requester and by the custodian's members", error="NotParty")
    return request_out(node, r, actor)


@router.post(
    "/requests/{request_id}/approve",
    response_model=Prepared,
    tags=["requests"],
    summary="Prepare: approve a pending request until a date (admins of the custodian)",
    responses={403: {"description": "Not an admin of the request's custodian"}, 409: {"description": "Not pending"}},
)
def approve(request_id: Annotated[int, ID], body: ApproveIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    r = node.contracts.access.get_request(request_id)
    actor.require(Role.ADMIN, "approve requests", body=code_name(r.custodian))
    expires = int(body.expiresAt.timestamp()) if body.expiresAt else node.chain.timestamp() + body.days * 86_400  # type: ignore[operator]
    return prepare(
        node,
        actor,
        node.contracts.access.handle,
        "approveRequest",
        request_id,
        expires,
        summary=f"approve request {request_id} until {dt.datetime.fromtimestamp(expires, dt.UTC):%Y-%m-%d %H:%M} UTC",
    )


@router.post(
    "/requests/{request_id}/deny",
    response_model=Prepared,
    tags=["requests"],
    summary="Prepare: deny a pending request (admins of the custodian)",
)
def deny(request_id: Annotated[int, ID], body: DenyIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    r = node.contracts.access.get_request(request_id)
    actor.require(Role.ADMIN, "deny requests", body=code_name(r.custodian))
    reason, salt = salted_hash(body.reason)
    return prepare(
        node,
        actor,
        node.contracts.access.handle,
        "denyRequest",
        request_id,
        reason,
        summary=f"deny request {request_id}",
        salts={"reason": salt},
        texts={"reason": ("reason", body.reason)},
    )


@router.post(
    "/requests/{request_id}/cancel",
    response_model=Prepared,
    tags=["requests"],
    summary="Prepare: withdraw my own pending request",
)
def cancel(request_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> Prepared:
    return prepare(
        node, actor, node.contracts.access.handle, "cancelRequest", request_id, summary=f"withdraw request {request_id}"
    )


# -------------------------------------------------------------------- grants


@router.get(
    "/grants",
    response_model=list[GrantOut],
    tags=["grants"],
    summary="Grants: mine and my body's standing agreements, from every custodian (the chain index), or "
    "(this body's members) all this body gave",
)
def list_grants(
    actor: CurrentMember, node: NodeDep, view: Annotated[Literal["mine", "given"], Query()] = "mine"
) -> list[GrantOut]:
    return grants_of(node, actor, view)


@router.get("/grants/{grant_id}", response_model=GrantOut, tags=["grants"], summary="One grant")
def get_grant(grant_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> GrantOut:
    g = node.contracts.access.get_grant(grant_id)
    if actor.body not in (code_name(g.custodian), code_name(g.grantee_body)) and Role.AUDITOR not in actor.roles:
        raise NotAuthorized("a grant is seen by its two bodies and by auditors", error="NotParty")
    return grant_out(node, g, node.chain.timestamp())


@router.delete(
    "/grants/{grant_id}",
    response_model=Prepared,
    tags=["grants"],
    summary="Prepare: revoke a grant (admins of its custodian); the next read is refused",
)
def revoke(grant_id: Annotated[int, ID], actor: CurrentMember, node: NodeDep) -> Prepared:
    g = node.contracts.access.get_grant(grant_id)
    actor.require(Role.ADMIN, "revoke grants", body=code_name(g.custodian))
    return prepare(node, actor, node.contracts.access.handle, "revokeGrant", grant_id, summary=f"revoke grant {grant_id}")


# ---------------------------------------------------------- consent, residents


@router.post(
    "/consent",
    response_model=Prepared,
    tags=["consent"],
    summary="Prepare: give or refuse consent under a grant (the resident, or their own committee with evidence, "
    "at its node)",
    responses={
        403: {
            "description": "Neither the resident nor an officer or admin of their own residents' "
            "committee at its node (NotResidentsCommittee)"
        }
    },
)
def consent(body: ConsentIn, actor: CurrentActor, node: NodeDep) -> Prepared:
    access = node.contracts.access
    grant = access.get_grant(body.grantId)
    if actor.body is None:  # a resident with a wallet, bound to their subject on-chain
        subject = node.contracts.residents.resident_subject(actor.address)
        if subject == ZERO:
            raise NotAuthorized(
                "this account is not linked to a resident; ask your committee to link it", error="NotResident"
            )
        evidence, salts, texts = ZERO, {}, {}
    else:
        if body.nationalId is None or body.evidence is None:
            raise InvalidInput(
                "a committee member recording consent gives the resident's nationalId and the evidence",
                error="EvidenceRequired",
            )
        subject = node.store.subject_of(body.nationalId)
        require_own_resident(node, subject, "record a resident's consent", actor)
        evidence, salt = salted_hash(body.evidence)
        salts = {"evidence": salt}
        texts = {"evidence": ("evidence", body.evidence)}
    if grant.scope is not Scope.AGREEMENT and grant.subject != subject:
        raise NotFound("this grant is not about this resident", error="SubjectMismatch")
    word = "give" if body.given else "refuse"
    return prepare(
        node,
        actor,
        access.handle,
        "setConsent",
        body.grantId,
        subject,
        body.given,
        evidence,
        summary=f"{word} consent under grant {body.grantId}",
        salts=salts,
        texts=texts,
    )


@router.get(
    "/consent/mine",
    response_model=list[GrantOut],
    tags=["consent"],
    summary="Grants about me that wait for my consent (a resident with their own account)",
    responses={403: {"description": "The account is not linked to a resident"}},
)
def my_waiting_consents(actor: CurrentActor, node: NodeDep) -> list[GrantOut]:
    subject = node.contracts.residents.resident_subject(actor.address)
    if subject == ZERO:
        raise NotAuthorized("this account is not linked to a resident; ask your committee to link it", error="NotResident")
    return waiting_for_consent(node, hex32(subject))
