"""Bodies: the consortium's bodies, admission proposals and votes, and (for admins) members."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import Actor, CurrentMember, NodeDep
from api.schemas.tx import Prepared
from api.services.transactions import prepare
from ledger.chain.bodies import BodyProfile, Proposal
from ledger.errors import BadArgument, NotAuthorized, NotFound
from ledger.ids import BodyKind, Role, code_id, code_name, text_hash
from ledger.network.registry import format_endpoint, parse_endpoint

router = APIRouter(prefix="/bodies", tags=["bodies"])


class BodyOut(BaseModel):
    code: str
    kind: str
    active: bool
    emergencyCapable: bool
    myRoles: list[str]


@router.get("/mine", response_model=BodyOut, summary="The caller's body and roles (403 once removed on-chain)")
def my_body(actor: CurrentMember, node: NodeDep) -> BodyOut:
    assert actor.body is not None
    body = node.contracts.bodies.get_body(code_id(actor.body))
    return BodyOut(
        code=actor.body,
        kind=body.kind.name.lower(),
        active=body.active,
        emergencyCapable=body.emergency,
        myRoles=[r.name.lower() for r in type(actor.roles) if r in actor.roles and r.name],
    )


class BodySummary(BaseModel):
    code: str
    kind: str
    active: bool
    emergencyCapable: bool
    parent: str | None
    adminCount: int
    api: str | None = Field(description="The node it published (ledger node publish), where other nodes ask it")
    enode: str | None = Field(description="Its published chain node, which every node's allowlist admits")


class AdmissionIn(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$", examples=["housing-bureau"])
    name: str = Field(min_length=2, max_length=200, description="Hashed on-chain", examples=["Housing Bureau"])
    kind: Literal["residents_committee", "subdistrict_office", "department", "auditor", "oversight"]
    parent: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$")
    emergency: bool = False
    admins: list[Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]] = Field(min_length=2, max_length=16)
    days: int = Field(default=7, ge=1, le=90, description="Voting deadline, days from now")


class ProposalOut(BaseModel):
    id: int
    action: str = Field(examples=["admit"])
    body: str
    proposerBody: str
    deadline: dt.datetime
    votes: int
    required: int
    executed: bool
    open: bool = Field(description="Not carried and before its deadline: votes are still taken")
    myBodyVoted: bool = Field(description="The caller's body has voted for it")


@router.get("", response_model=list[BodySummary], summary="Every body admitted to the consortium")
def list_bodies(_: CurrentMember, node: NodeDep) -> list[BodySummary]:
    reg = node.contracts.bodies
    codes = [bytes.fromhex(b[2:]) for b in node.indexer.body_ids()]
    out = []
    for body_id in dict.fromkeys([reg.founder(), *codes]):
        b = reg.get_body(body_id)
        out.append(
            BodySummary(
                code=code_name(body_id),
                kind=b.kind.name.lower(),
                active=b.active,
                emergencyCapable=b.emergency,
                parent=code_name(b.parent) if any(b.parent) else None,
                adminCount=b.admin_count,
                **_published(b.endpoint),
            )
        )
    return out


def _published(endpoint: str) -> dict[str, str | None]:
    try:
        node = parse_endpoint(endpoint)
    except BadArgument:  # unreadable: as if none (the allowlists report it)
        return {"api": None, "enode": None}
    return {"api": node.api, "enode": node.enode}


@router.get("/proposals", response_model=list[ProposalOut], summary="Admission and removal proposals, newest first")
def list_proposals(actor: CurrentMember, node: NodeDep) -> list[ProposalOut]:
    assert actor.body is not None
    reg, now, mine = node.contracts.bodies, node.chain.timestamp(), code_id(actor.body)
    return [_proposal_out(reg.get_proposal(i), now, reg.has_voted(i, mine)) for i in reversed(range(reg.proposal_count()))]


def _proposal_out(p: Proposal, now: int, voted: bool) -> ProposalOut:
    return ProposalOut(
        id=p.id,
        action="admit" if p.kind == 0 else "remove",
        body=code_name(p.body),
        proposerBody=code_name(p.proposer_body),
        deadline=dt.datetime.fromtimestamp(p.deadline, dt.UTC),
        votes=p.votes,
        required=p.required,
        executed=p.executed,
        open=not p.executed and now <= p.deadline,
        myBodyVoted=voted,
    )


@router.post(
    "/proposals",
    response_model=Prepared,
    summary="Prepare: propose admitting a body (admins)",
    responses={403: {"description": "Not an admin of an active body"}, 409: {"description": "The body exists already"}},
)
def propose_admission(body: AdmissionIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor, "propose admitting a body for it")
    profile = BodyProfile(
        BodyKind[body.kind.upper()],
        code_id(body.parent) if body.parent else b"\0" * 32,
        text_hash(body.name),
        body.emergency,
        b"",
        "",
    )
    deadline = node.chain.timestamp() + body.days * 86_400
    admins = [to_checksum_address(a) for a in body.admins]
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "proposeAdmission",
        code_id(body.code),
        profile.as_tuple(),
        admins,
        deadline,
        summary=f"propose admitting {body.code} ({body.kind})",
    )


@router.post(
    "/proposals/{proposal_id}/vote", response_model=Prepared, summary="Prepare: vote for a proposal, for my body (admins)"
)
def vote(proposal_id: Annotated[int, Path(ge=0, le=2**63)], actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor, "vote for it")
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "vote",
        proposal_id,
        summary=f"vote for proposal {proposal_id} for {actor.body}",
    )


class RemovalIn(BaseModel):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$", examples=["rc-west"])
    days: int = Field(default=7, ge=1, le=90, description="Voting deadline, days from now")


@router.post(
    "/removals",
    response_model=Prepared,
    summary="Prepare: propose removing an active body (admins); its members and node leave the allowlists",
    responses={403: {"description": "Not an admin of an active body"}, 404: {"description": "No such active body"}},
)
def propose_removal(body: RemovalIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor, "propose removing a body")
    if not node.contracts.bodies.is_active(code_id(body.code)):
        raise NotFound(f"{body.code} is not an active body of the consortium", error="NoSuchBody")
    deadline = node.chain.timestamp() + body.days * 86_400
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "proposeRemoval",
        code_id(body.code),
        deadline,
        summary=f"propose removing {body.code}",
    )


class NodeIn(BaseModel):
    api: str = Field(
        pattern=r"^https?://[^\s/]+(/[^\s]*)?$",
        max_length=300,
        description="The URL other bodies' nodes reach this body's Civic Ledger node at",
        examples=["https://ledger.rc-east.example:8443"],
    )
    enode: str | None = Field(
        default=None,
        pattern=r"^enode://[0-9a-f]{128}@[A-Za-z0-9.\-_\[\]:]+:\d{1,5}$",
        description="The body's chain node (ledger consortium keys prints it); it joins the nodes allowlist",
        examples=["enode://" + "ab" * 64 + "@203.0.113.7:30303"],
    )


@router.put(
    "/mine/node",
    response_model=Prepared,
    summary="Prepare: publish my body's node addresses in its on-chain profile (admins)",
    responses={403: {"description": "Not an admin of this body"}},
)
def publish_node(body: NodeIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor, "publish its node")
    assert actor.body is not None
    endpoint = format_endpoint(body.api.rstrip("/"), body.enode)
    key = node.contracts.bodies.get_body(code_id(actor.body)).encryption_key  # kept as it is
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "updateProfile",
        key,
        endpoint,
        summary=f"publish {actor.body}'s node: {endpoint}",
    )


ROLE_NAMES = {
    "admin": Role.ADMIN,
    "officer": Role.OFFICER,
    "auditor": Role.AUDITOR,
    "emergency": Role.EMERGENCY,
    "node": Role.ANCHOR,
}


class MemberIn(BaseModel):
    account: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x976EA74026E726554dB657fA54763abd0C3a0aa9"])
    roles: list[Literal["admin", "officer", "auditor", "emergency", "node"]] = Field(min_length=1, examples=[["officer"]])


def _require_admin(actor: Actor, what: str = "manage its members") -> None:
    if Role.ADMIN not in actor.roles:
        raise NotAuthorized(f"only an admin of {actor.body} may {what}", error="NotAdmin")


@router.post(
    "/mine/members",
    response_model=Prepared,
    summary="Prepare: add a member to my body (admins)",
    responses={403: {"description": "Not an admin of this body"}},
)
def add_member(body: MemberIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    _require_admin(actor)
    account = to_checksum_address(body.account)
    roles = Role(0)
    for name in body.roles:
        roles |= ROLE_NAMES[name]
    return prepare(
        node,
        actor,
        node.contracts.bodies.handle,
        "addMember",
        account,
        int(roles),
        summary=f"add {account} to {actor.body} as {', '.join(body.roles)}",
    )


@router.delete(
    "/mine/members/{account}",
    response_model=Prepared,
    summary="Prepare: remove a member (admins)",
    responses={403: {"description": "Not an admin of this body"}},
)
def remove_member(
    account: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], actor: CurrentMember, node: NodeDep
) -> Prepared:
    _require_admin(actor)
    account = to_checksum_address(account)
    return prepare(
        node, actor, node.contracts.bodies.handle, "removeMember", account, summary=f"remove {account} from {actor.body}"
    )


class MemberOut(BaseModel):
    account: str
    roles: list[str]
    name: str | None = Field(description="From this node's members' directory")
    post: str | None
    addedAt: dt.datetime


@router.get(
    "/mine/members",
    response_model=list[MemberOut],
    summary="My body's members, by the chain index, with their names and posts (the body's admins and officers)",
)
def list_members(actor: CurrentMember, node: NodeDep) -> list[MemberOut]:
    if not actor.roles & (Role.ADMIN | Role.OFFICER):
        raise NotAuthorized(f"the members of {actor.body} are listed for its admins and officers", error="NotStaff")
    assert actor.body is not None
    rows = node.indexer.members(code_id(actor.body))
    people = node.directory.people(r.account for r in rows)
    out = []
    for r in rows:
        who = people.get(to_checksum_address(r.account))
        out.append(
            MemberOut(
                account=to_checksum_address(r.account),
                roles=[n for n, bit in ROLE_NAMES.items() if r.roles & bit],
                name=who.name if who else None,
                post=who.post if who else None,
                addedAt=r.added_at,
            )
        )
    return out


class DirectoryIn(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=100, examples=["Wang Fang"])
    post: str | None = Field(default=None, min_length=1, max_length=100, examples=["Subsistence caseworker"])


@router.put(
    "/mine/directory/{account}",
    status_code=204,
    summary="Describe a member of my body by name or post, off-chain at this node (admins)",
    responses={403: {"description": "Not an admin, or the account is not a member of my body"}},
)
def describe_member(
    account: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$")], body: DirectoryIn, actor: CurrentMember, node: NodeDep
) -> None:
    _require_admin(actor)
    assert actor.body is not None
    member_body, _ = node.contracts.bodies.member_of(to_checksum_address(account))
    if code_name(member_body) != actor.body:
        raise NotAuthorized(f"{account} is not a member of {actor.body}", error="NotMember")
    node.directory.describe(account=account, body=actor.body, name=body.name, post=body.post, by=actor.address)
