"""Node-to-node endpoints: what another body's node asks of this one for its members (SPEC §6).

Every request is signed by the calling node's account (:mod:`ledger.peers.exchange`); a person never calls
these. The calling node vouches that its member signed in there; this node still checks everything
the person signed, that the person is a member of the calling body, and the grant, and logs the
access event as for a read at its own door.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, NoReturn

from eth_utils import to_checksum_address
from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import Actor, NodeDep
from api.schemas.access import AgreementIn, RequestIn
from api.schemas.audit import Dashboard
from api.schemas.common import TrailBundle
from api.schemas.emergencies import EmergencyIn
from api.schemas.reads import NodeReadPrepareIn, ReadIn, ReadOut, ReadPrepared
from api.schemas.seals import NodeSealsIn, NodeSealsOut
from api.schemas.trail import TRAIL_EVENTS, NodeTrailIn, NodeTrailOut
from api.schemas.tx import Prepared
from api.services import dashboards, reads, seals
from api.services.access import agreement_here, request_here
from api.services.audit import signed_audit
from api.services.emergencies import declare_here
from api.services.trail import events_out, trail_bundle
from ledger.chain.views import bodies_at, committee_at, member_of
from ledger.errors import NotAuthorized
from ledger.ids import BodyKind, Role, code_name, parse_record_id
from ledger.peers.exchange import Caller, authenticate
from ledger.peers.people import MAX_ACCOUNTS
from ledger.store.nonces import accept_node_nonce
from ledger.watchdog.source import PAGE, page_after

router = APIRouter(prefix="/node", tags=["node"])


async def calling_node(request: Request, node: NodeDep) -> Caller:
    body = await request.body()
    return await run_in_threadpool(
        authenticate,
        request.headers,
        method=request.method,
        path=request.url.path,
        body=body,
        own_body=node.store.body,
        chain_id=node.chain.chain_id,
        registry=node.contracts.bodies.handle.address,
        member_of=partial(member_of, node.questions),
        accept_nonce=partial(accept_node_nonce, node.engine),
    )


CallingNode = Annotated[Caller, Depends(calling_node)]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed by the node account of the body it names, stale, or replayed"},
    403: {"description": "No grant now, or the reader is not a member of the calling body"},
    404: {"description": "No such record here"},
}


def _of_caller(node: Any, caller: Caller, person: str) -> Actor:
    """``person`` as an actor of the calling node's body, if they are a member of it (403 if not)."""
    body, roles = member_of(node.questions, person)
    if body != caller.body:
        _not_of_caller(person, caller)
    return Actor(to_checksum_address(person), code_name(caller.body), Role(roles))


def _not_of_caller(person: str, caller: Caller) -> NoReturn:
    raise NotAuthorized(f"{person} is not a member of {code_name(caller.body)}, whose node asks", error="NotMemberOfCaller")


@router.post(
    "/reads/prepare",
    response_model=ReadPrepared,
    responses=_REFUSALS,
    summary="For another body's node: prepare a read request of one of its members",
)
def node_prepare_read(body: NodeReadPrepareIn, caller: CallingNode, node: NodeDep) -> ReadPrepared:
    _of_caller(node, caller, body.reader)
    return ReadPrepared(
        typedData=node.reads.prepare(
            reader=body.reader,
            record_id=parse_record_id(body.recordId),
            fields=body.fields,
            purpose=body.purpose,
            emergency_id=body.emergencyId,
        )
    )


@router.post(
    "/reads",
    response_model=ReadOut,
    responses={**_REFUSALS, 409: {"description": "Served already"}},
    summary="For another body's node: serve a read request one of its members signed",
)
async def node_read(body: ReadIn, caller: CallingNode, node: NodeDep) -> ReadOut:
    reader = str(body.typedData.get("message", {}).get("reader", "")) if isinstance(body.typedData, dict) else ""
    return await reads.serve(node, body, signed_in=reader, caller_body=caller.body)


class NodeRequestIn(RequestIn):
    requester: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The member of the calling body who asks")


@router.post(
    "/requests",
    response_model=Prepared,
    responses=_REFUSALS,
    summary="For another body's node: prepare an access request of one of its members to a record kept here",
)
def node_request(body: NodeRequestIn, caller: CallingNode, node: NodeDep) -> Prepared:
    actor = _of_caller(node, caller, body.requester)
    actor.require(Role.OFFICER | Role.ADMIN, "request access")
    return request_here(node, actor, RequestIn.model_validate(body.model_dump(exclude={"requester"})))


class NodeAgreementIn(AgreementIn):
    requester: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The admin of the calling body who asks")


@router.post(
    "/agreements",
    response_model=Prepared,
    responses=_REFUSALS,
    summary="For another body's node: prepare a standing-agreement request of one of its admins",
)
def node_agreement(body: NodeAgreementIn, caller: CallingNode, node: NodeDep) -> Prepared:
    actor = _of_caller(node, caller, body.requester)
    actor.require(Role.ADMIN, "ask for a standing agreement")
    return agreement_here(node, actor, AgreementIn.model_validate(body.model_dump(exclude={"requester"})))


class NodeEmergencyIn(EmergencyIn):
    reader: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$", description="The member of the calling body who declares")


@router.post(
    "/emergencies",
    response_model=Prepared,
    responses=_REFUSALS,
    summary="For another body's node: prepare an emergency declaration of one of its members on a record kept here",
)
def node_emergency(body: NodeEmergencyIn, caller: CallingNode, node: NodeDep) -> Prepared:
    actor = _of_caller(node, caller, body.reader)
    actor.require(Role.EMERGENCY, "declare emergency reads")
    return declare_here(node, actor, EmergencyIn.model_validate(body.model_dump(exclude={"reader"})))


def _of_kind(node: Any, caller: Caller, kind: BodyKind, what: str) -> None:
    """Refuses (403) unless the calling node's body is of ``kind`` on-chain."""
    if bodies_at(node.questions, [caller.body])[0].kind != kind:
        raise NotAuthorized(
            f"only a {kind.name.lower().replace('_', ' ')}'s node may {what}; {code_name(caller.body)} is not one",
            error="WrongBodyKind",
        )


@router.post(
    "/trail",
    response_model=NodeTrailOut,
    responses=_REFUSALS,
    summary="For a residents' committee's node: the reads of a resident's data at this node, to show in "
    "their trail across the consortium",
)
def node_trail(body: NodeTrailIn, caller: CallingNode, node: NodeDep) -> NodeTrailOut:
    _of_kind(node, caller, BodyKind.RESIDENTS_COMMITTEE, "ask for a resident's trail")
    subject = body.subjectId.lower()
    if committee_at(node.questions, parse_record_id(subject)) != caller.body:
        raise NotAuthorized(
            f"{code_name(caller.body)} is not this resident's residents' committee: only their own "
            "committee gathers their trail",
            error="NotResidentsCommittee",
        )
    hidden = node.seals.in_force()  # sealed reads: not in a resident's trail until their seal ends
    events = node.trail.latest(subject_id=subject, limit=TRAIL_EVENTS, hidden=hidden)
    return NodeTrailOut(
        custodian=node.body,
        subjectId=subject,
        total=node.trail.count_of(subject, hidden=hidden),
        events=events_out(node, events),
        bundle=TrailBundle.model_validate(trail_bundle(node, subject)) if body.bundle else None,
    )


class NodeAuditIn(BaseModel):
    request: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$", description="The auditor's nonce, signed back in the result")


class NodeAuditOut(BaseModel):
    report: dict[str, Any] = Field(description="This node's audit report (civic-ledger/audit@1)")
    result: dict[str, Any] = Field(description="The EIP-712 AuditResult its node account signed: message, signature")


@router.post(
    "/audit",
    response_model=NodeAuditOut,
    responses=_REFUSALS,
    summary="For the auditor's node: audit this node and sign the result",
)
def node_audit(body: NodeAuditIn, caller: CallingNode, node: NodeDep) -> dict[str, Any]:
    _of_kind(node, caller, BodyKind.AUDITOR, "ask for a node's audit")
    return signed_audit(node, body.request)


class PeopleIn(BaseModel):
    accounts: list[Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$")]] = Field(max_length=MAX_ACCOUNTS)


class PersonOut(BaseModel):
    account: str
    name: str | None
    post: str | None


class PeopleOut(BaseModel):
    people: list[PersonOut] = Field(description="Only this body's members, as its directory describes them")


@router.post(
    "/people",
    response_model=PeopleOut,
    responses={401: _REFUSALS[401]},
    summary="For another body's node: the names and posts of this body's members among some accounts",
)
def node_people(body: PeopleIn, caller: CallingNode, node: NodeDep) -> PeopleOut:
    return PeopleOut(people=[PersonOut(account=p.account, name=p.name, post=p.post) for p in node.people.own(body.accounts)])


class NodeDashboardIn(BaseModel):
    days: int = Field(ge=1, le=366)


@router.post(
    "/dashboard",
    response_model=Dashboard,
    responses=_REFUSALS,
    summary="For the auditor's node: this node's dashboard figures (no personal data: counts by body and day)",
)
def node_dashboard(body: NodeDashboardIn, caller: CallingNode, node: NodeDep) -> Dashboard:
    _of_kind(node, caller, BodyKind.AUDITOR, "ask for a node's dashboard")
    return dashboards.of_node(node, body.days)


class NodeWatchdogIn(BaseModel):
    after: int = Field(ge=0, description="The last event of this node's trail the auditor's node holds")


class WatchedOut(BaseModel):
    seq: int
    reader: str
    readerBody: str
    subjectId: str
    at: str
    grantId: int
    emergencyId: int
    block: int


class NodeWatchdogOut(BaseModel):
    custodian: str
    events: list[WatchedOut] = Field(description=f"At most {PAGE}, in sequence order")


@router.post(
    "/watchdog/events",
    response_model=NodeWatchdogOut,
    responses=_REFUSALS,
    summary="For the auditor's node: this node's access events after one, as the watchdog reads them (who read "
    "whom, when, under what; no fields, purpose or content)",
)
def node_watchdog_events(body: NodeWatchdogIn, caller: CallingNode, node: NodeDep) -> NodeWatchdogOut:
    _of_kind(node, caller, BodyKind.AUDITOR, "mirror a node's trail for the watchdog")
    page = page_after(node.engine, "0x" + node.store.body.hex(), body.after)
    return NodeWatchdogOut(custodian=node.body, events=[WatchedOut.model_validate(e) for e in page])


@router.post(
    "/seals",
    response_model=NodeSealsOut,
    responses=_REFUSALS,
    summary="For the auditor's node: how many reads this node wrote under each seal (no subjects, no content)",
)
def node_seals(body: NodeSealsIn, caller: CallingNode, node: NodeDep) -> NodeSealsOut:
    _of_kind(node, caller, BodyKind.AUDITOR, "count a node's sealed reads")
    return seals.node_reads(node)
