"""Emergency ("break-glass") reads: declare with a reason, read, and the custodian's review."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import CurrentMember, NodeDep
from api.schemas.emergencies import EmergencyIn, EmergencyOut, ReviewIn
from api.schemas.tx import Prepared
from api.services.access import forwarded
from api.services.custody import keeper_of
from api.services.emergencies import declare_here, emergency_out
from api.services.transactions import prepare
from ledger.ids import Role, code_id, code_name, parse_record_id, salted_hash

router = APIRouter(prefix="/emergencies", tags=["emergency"])


@router.post(
    "",
    response_model=Prepared,
    summary="Prepare: declare an emergency read of a record (members with the emergency role)",
    description="A record another body keeps: the declaration is forwarded to that body's node, which "
    "keeps the reason for its admins' review (503 if that node does not answer).",
    responses={403: {"description": "No emergency role"}, 503: {"description": "The custodian's node does not answer"}},
)
def declare(body: EmergencyIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.EMERGENCY, "declare emergency reads")
    keeper = keeper_of(node, parse_record_id(body.recordId))
    if keeper is not None:
        return forwarded(node, keeper, "/node/emergencies", {**body.model_dump(), "reader": actor.address})
    return declare_here(node, actor, body)


@router.get(
    "",
    response_model=list[EmergencyOut],
    summary="Emergency reads of this body's records (its officers and admins, and auditors)",
)
def list_emergencies(
    actor: CurrentMember,
    node: NodeDep,
    unreviewed: Annotated[bool, Query(description="Only those not reviewed yet")] = False,
) -> list[EmergencyOut]:
    if Role.AUDITOR not in actor.roles:
        actor.require(Role.OFFICER | Role.ADMIN, "see this body's emergency reads", body=node.body)
    access = node.contracts.access
    found = [
        access.get_emergency(i) for i in node.indexer.emergency_ids(custodian=code_id(node.body), unreviewed=unreviewed)
    ]
    return [emergency_out(node, e, actor) for e in found]


@router.post(
    "/{emergency_id}/review", response_model=Prepared, summary="Prepare: review an emergency read (admins of the custodian)"
)
def review(
    emergency_id: Annotated[int, Path(ge=1, le=2**63)], body: ReviewIn, actor: CurrentMember, node: NodeDep
) -> Prepared:
    e = node.contracts.access.get_emergency(emergency_id)
    actor.require(Role.ADMIN, "review emergency reads", body=code_name(e.custodian))
    outcome, salt = salted_hash(body.outcome)
    return prepare(
        node,
        actor,
        node.contracts.access.handle,
        "reviewEmergency",
        emergency_id,
        body.justified,
        outcome,
        summary=f"review emergency read {emergency_id}",
        salts={"outcome": salt},
        texts={"outcome": ("outcome", body.outcome)},
    )
