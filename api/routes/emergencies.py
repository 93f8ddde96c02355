"""Emergency ("break-glass") reads: declare with a reason, read, and the custodian's review."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import Actor, CurrentMember, Node, NodeDep
from api.routes.access import FieldList, KeptTextOut, _mask, forwarded, kept_text, may_read_texts
from api.routes.tx import Prepared, prepare
from ledger.chain.access import Emergency
from ledger.ids import CODE_PATTERN, Role, code_id, code_name, hex32, parse_record_id, salted_hash

router = APIRouter(prefix="/emergencies", tags=["emergency"])


class EmergencyIn(BaseModel):
    recordId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    fields: FieldList = Field(examples=[["conditions", "medications"]])
    purpose: str = Field(pattern=CODE_PATTERN, examples=["emergency_response"],
                         description="The purpose code every read under the declaration must carry")
    reason: str = Field(min_length=3, max_length=2000, description="Mandatory; only its hash goes on-chain",
                        examples=["resident unconscious, ambulance on site"])


class ReviewIn(BaseModel):
    justified: bool
    outcome: str = Field(min_length=3, max_length=2000, description="The review's finding (hashed on-chain)")


class EmergencyOut(BaseModel):
    id: int
    reader: str
    readerBody: str
    recordId: str
    custodian: str
    fields: list[str]
    purpose: str
    declaredAt: dt.datetime
    reviewed: bool
    justified: bool | None
    reasonHash: str
    reason: KeptTextOut | None = Field(default=None, description="The reason's text, for the custodian's admins, "
                                                                 "the reader and auditors")


def emergency_out(node: Node, e: Emergency, actor: Actor | None = None) -> EmergencyOut:
    record = node.store.get(e.record_id)
    names = node.store.schema(record.category)
    return EmergencyOut(id=e.id, reader=e.reader, readerBody=code_name(e.reader_body), recordId=hex32(e.record_id),
                        custodian=code_name(e.custodian), fields=[n for i, n in enumerate(names) if e.fields >> i & 1],
                        purpose=code_name(e.purpose), declaredAt=dt.datetime.fromtimestamp(e.declared_at, dt.UTC),
                        reviewed=e.reviewed,
                        justified=e.justified if e.reviewed else None, reasonHash=hex32(e.reason_hash),
                        reason=kept_text(node, e.reason_hash) if actor and may_read_texts(actor, e.custodian, e.reader)
                        else None)


@router.post("", response_model=Prepared, summary="Prepare: declare an emergency read of a record (members with the "
                                                   "emergency role)",
             description="A record another body keeps: the declaration is forwarded to that body's node, which "
                         "keeps the reason for its admins' review (503 if that node does not answer).",
             responses={403: {"description": "No emergency role"},
                        503: {"description": "The custodian's node does not answer"}})
def declare(body: EmergencyIn, actor: CurrentMember, node: NodeDep) -> Any:
    actor.require(Role.EMERGENCY, "declare emergency reads")
    keeper = node.keeper_of(parse_record_id(body.recordId))
    if keeper is not None:
        return forwarded(node, keeper, "/node/emergencies", {**body.model_dump(), "reader": actor.address})
    return declare_here(node, actor, body)


def declare_here(node: Node, actor: Actor, body: EmergencyIn) -> Prepared:
    """The declaration prepared at this node, the custodian, which keeps its reason."""
    rid = parse_record_id(body.recordId)
    record = node.store.get(rid)
    reason, salt = salted_hash(body.reason)
    return prepare(node, actor, node.contracts.access.handle, "declareEmergency", rid,
                   _mask(node, record.category, body.fields), code_id(body.purpose), reason,
                   summary=f"declare an emergency read of record {body.recordId[:10]}…", salts={"reason": salt},
                   texts={"reason": ("reason", body.reason)})


@router.get("", response_model=list[EmergencyOut],
            summary="Emergency reads of this body's records (its officers and admins, and auditors)")
def list_emergencies(actor: CurrentMember, node: NodeDep,
                     unreviewed: Annotated[bool, Query(description="Only those not reviewed yet")] = False
                     ) -> list[EmergencyOut]:
    if Role.AUDITOR not in actor.roles:
        actor.require(Role.OFFICER | Role.ADMIN, "see this body's emergency reads", body=node.body)
    access = node.contracts.access
    found = [access.get_emergency(i) for i in node.indexer.emergency_ids(custodian=code_id(node.body),
                                                                          unreviewed=unreviewed)]
    return [emergency_out(node, e, actor) for e in found]


@router.post("/{emergency_id}/review", response_model=Prepared,
             summary="Prepare: review an emergency read (admins of the custodian)")
def review(emergency_id: Annotated[int, Path(ge=1, le=2**63)], body: ReviewIn, actor: CurrentMember,
           node: NodeDep) -> Prepared:
    e = node.contracts.access.get_emergency(emergency_id)
    actor.require(Role.ADMIN, "review emergency reads", body=code_name(e.custodian))
    outcome, salt = salted_hash(body.outcome)
    return prepare(node, actor, node.contracts.access.handle, "reviewEmergency", emergency_id, body.justified,
                   outcome, summary=f"review emergency read {emergency_id}", salts={"outcome": salt},
                   texts={"outcome": ("outcome", body.outcome)})
