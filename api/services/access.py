"""Access requests, standing agreements and grants, as this node prepares and shows them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

from api.deps import Actor, Node
from api.schemas.access import AgreementIn, GrantOut, KeptTextOut, RequestIn, RequestOut
from api.schemas.tx import Prepared
from api.services.transactions import prepare
from ledger.chain.access import ZERO, Grant, Request, RequestInput, Scope
from ledger.errors import NotFound
from ledger.ids import Role, code_id, code_name, hex32, parse_record_id, salted_hash
from ledger.store.directory import Person


def optional_hex(value: bytes) -> str | None:
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
    return (
        actor.address == author
        or Role.AUDITOR in actor.roles
        or (Role.ADMIN in actor.roles and actor.body == code_name(custodian))
    )


def request_out(
    node: Node, r: Request, actor: Actor | None = None, people: Mapping[str, Person] | None = None
) -> RequestOut:
    """A request as the API shows it; ``people``: names and posts looked up for a whole list at once."""
    category = code_name(r.category)
    who = (people if people is not None else node.people.of([r.requester])).get(r.requester)
    text = kept_text(node, r.justification_hash) if actor and may_read_texts(actor, r.custodian, r.requester) else None
    return RequestOut(
        id=r.id,
        scope=r.scope.name.lower(),
        status=r.status.name.lower(),
        requester=r.requester,
        requesterBody=code_name(r.requester_body),
        requesterName=who.name if who else None,
        requesterPost=who.post if who else None,
        custodian=code_name(r.custodian),
        recordId=optional_hex(r.record_id),
        subjectId=optional_hex(r.subject),
        category=category,
        fields=node.store.fields(category, r.fields),
        purpose=code_name(r.purpose),
        justificationHash=hex32(r.justification_hash),
        justification=text,
        grantId=r.grant_id or None,
        post=code_name(r.post) if r.post != ZERO else None,
        assignment=r.assignment or None,
    )


def grant_out(node: Node, g: Grant, now: int, people: Mapping[str, Person] | None = None) -> GrantOut:
    category = code_name(g.category)
    agreement = g.scope is Scope.AGREEMENT
    who = (
        None
        if agreement or g.post != ZERO
        else (people if people is not None else node.people.of([g.grantee])).get(g.grantee)
    )
    return GrantOut(
        id=g.id,
        scope=g.scope.name.lower(),
        revoked=g.revoked,
        expiresAt=dt.datetime.fromtimestamp(g.expires_at, dt.UTC),
        active=not g.revoked
        and g.expires_at > now
        and (not g.assignment or node.contracts.bodies.assignment_in_force(g.assignment)),
        grantee=None if agreement or g.post != ZERO else g.grantee,
        post=code_name(g.post) if g.post != ZERO else None,
        assignment=g.assignment or None,
        granteeBody=code_name(g.grantee_body),
        granteeName=who.name if who else None,
        granteePost=who.post if who else None,
        custodian=code_name(g.custodian),
        recordId=optional_hex(g.record_id),
        subjectId=optional_hex(g.subject),
        category=category,
        fields=node.store.fields(category, g.fields),
        purpose=code_name(g.purpose),
        requestId=g.request_id,
        consentRequired=node.contracts.records.get_category(g.category).requires_consent,
        consent=None if agreement else node.contracts.access.consent_of(g.id, g.subject).name.lower(),
    )


def requests_of(node: Node, actor: Actor, view: str) -> list[RequestOut]:
    """``mine``: the actor's requests to every custodian; ``pending``/``all``: those made to this body."""
    access = node.contracts.access
    if view == "mine":
        ids = node.indexer.request_ids(requester=actor.address)
    else:
        actor.require(Role.OFFICER | Role.ADMIN, "see the requests made to this body", body=node.body)
        ids = node.indexer.request_ids(custodian=code_id(node.body))
    requests = [access.get_request(i) for i in ids]
    people = node.people.of(r.requester for r in requests)
    out = [request_out(node, r, actor, people) for r in requests]
    return [r for r in out if view != "pending" or r.status == "pending"]


def grants_of(node: Node, actor: Actor, view: str) -> list[GrantOut]:
    """``mine``: the grants naming the actor, the grants to the post they hold and their body's standing
    agreements, whoever gave them (an officer follows every grant from her own node); ``given``: every grant
    this body gave."""
    access = node.contracts.access
    if view == "mine":
        assert actor.body is not None
        ids = node.indexer.grant_ids(grantee_body=code_id(actor.body))
    else:
        actor.require(Role.OFFICER | Role.ADMIN | Role.AUDITOR, "see the grants this body gave", body=node.body)
        ids = node.indexer.grant_ids(custodian=code_id(node.body))
    now = node.chain.timestamp()
    grants = [access.get_grant(i) for i in ids]
    if view == "mine":
        b = node.contracts.bodies
        current = b.assignment_of(actor.address)
        post = b.get_assignment(current).post if current and b.assignment_in_force(current) else None
        grants = [g for g in grants if g.scope is Scope.AGREEMENT or g.grantee == actor.address or g.post == post]
    people = node.people.of(g.grantee for g in grants if g.scope is not Scope.AGREEMENT and g.post == ZERO)
    return [grant_out(node, g, now, people) for g in grants]


def _ask(node: Node, actor: Actor, req: RequestInput, summary: str, salt: bytes, justification: str) -> Prepared:
    return prepare(
        node,
        actor,
        node.contracts.access.handle,
        "requestAccess",
        req.as_tuple(),
        summary=summary,
        salts={"justification": salt},
        texts={"justification": ("justification", justification)},
    )


def other_custodian(node: Node, custodian: str | None) -> bytes | None:
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
        req = RequestInput(
            Scope.RECORD,
            node.store.mask(record.category, body.fields),
            code_id(body.purpose),
            justification,
            record_id=parse_record_id(record.record_id),
            post=code_id(body.post) if body.post else ZERO,
        )
        what = f"record {record.record_id[:10]}…"
    else:
        assert body.category is not None and body.nationalId is not None
        subject = node.store.subject_of(body.nationalId)
        req = RequestInput(
            Scope.SUBJECT_CATEGORY,
            node.store.mask(body.category, body.fields),
            code_id(body.purpose),
            justification,
            custodian=custodian,
            subject=subject,
            category=code_id(body.category),
            post=code_id(body.post) if body.post else ZERO,
        )
        what = f"a resident's {body.category} records"
    return _ask(
        node,
        actor,
        req,
        f"request {', '.join(sorted(body.fields))} of {what} at {node.body} for {body.purpose}"
        + (f", for the post {body.post}" if body.post else ""),
        salt,
        body.justification,
    )


def agreement_here(node: Node, actor: Actor, body: AgreementIn) -> Prepared:
    """The agreement request prepared at this node, the custodian, which keeps its justification."""
    justification, salt = salted_hash(body.justification)
    req = RequestInput(
        Scope.AGREEMENT,
        node.store.mask(body.category, body.fields),
        code_id(body.purpose),
        justification,
        custodian=code_id(node.body),
        category=code_id(body.category),
    )
    return _ask(
        node,
        actor,
        req,
        f"ask {node.body} for a standing agreement on {body.category} for {body.purpose}",
        salt,
        body.justification,
    )


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
