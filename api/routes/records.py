"""Records of this node's body: register, new version, erase (prepare → sign → submit), metadata.

A change is stored encrypted at once, with an outbox entry; the response carries the
EIP-712 request that anchors it, which the officer signs and posts to ``/tx/submit``.
Until then the change is ``pending`` and cannot be read by others (the chain does not
know it). ``POST /records/{id}/anchor`` prepares the request again (e.g. after its deadline).
Contents never leave through these routes: reads go through ``/reads``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from api.deps import Actor, CurrentMember, Node, NodeDep
from api.schemas.tx import Prepared
from ledger.chain.client import PendingSigner
from ledger.errors import Conflict, NotAuthorized, NotFound
from ledger.ids import Role, code_name, hex32, parse_record_id

router = APIRouter(prefix="/records", tags=["records"])

RECORD_ID = Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="0x and 64 hex digits")
CODE = r"^[a-z0-9][a-z0-9_.-]{0,30}$"
EXAMPLE_FIELDS = {
    "head_of_household": "Zhang Wei",
    "address": "East Gate Lane 3, unit 12",
    "members": 3,
    "phone": None,
    "housing_type": "rented",
    "income_band": "low",
}


class RecordIn(BaseModel):
    category: str = Field(pattern=CODE, examples=["household"])
    nationalId: str = Field(
        min_length=15,
        max_length=32,
        examples=["110105196001011234"],
        description="The resident's national ID: turned into the subject id, never stored",
    )
    fields: dict[str, Any] = Field(
        description="Every field of the category; null for a value not known", examples=[EXAMPLE_FIELDS]
    )


class VersionIn(BaseModel):
    fields: dict[str, Any] = Field(examples=[EXAMPLE_FIELDS])


class SearchIn(BaseModel):
    nationalId: str = Field(min_length=15, max_length=32, examples=["110105196001011234"])
    category: str | None = Field(default=None, pattern=CODE, examples=["household"])


class RecordOut(BaseModel):
    recordId: str
    subjectId: str
    custodian: str = Field(description="The body that keeps the record (at its node)", examples=["rc-east"])
    category: str
    version: int
    status: str = Field(examples=["active"])
    anchorState: str = Field(description="Of the latest change: pending, anchored or failed", examples=["anchored"])
    createdAt: dt.datetime
    updatedAt: dt.datetime


class VersionOut(BaseModel):
    version: int
    commitment: str
    anchorState: str
    anchorTx: str | None
    anchorBlock: int | None
    createdAt: dt.datetime


class StagedOut(Prepared):
    """Like every action's answer (typed data to sign and post to /tx/submit, with a summary), plus the
    stored change it anchors."""

    record: RecordOut


def _out(node: Node, record_id: bytes) -> RecordOut:
    r = node.store.get(record_id)
    pending = node.store.anchorer.pending(record_id=r.record_id)
    latest = node.store.versions(record_id)[-1]
    state = "pending" if pending else latest.anchor_state.value
    return RecordOut(
        recordId=r.record_id,
        subjectId=r.subject_id,
        custodian=node.body,
        category=r.category,
        version=r.version,
        status=r.status.value,
        anchorState=state,
        createdAt=r.created_at,
        updatedAt=r.updated_at,
    )


def _staged(node: Node, actor: Actor, record_id: bytes, summary: str) -> StagedOut:
    rid = "0x" + record_id.hex()
    [entry] = node.store.anchorer.pending(actor.address, record_id=rid)
    typed = node.store.anchorer.prepare(entry, node.relayer)
    return StagedOut(record=_out(node, record_id), typedData=typed, summary=summary)


def _may_see(actor: Actor, node: Node) -> None:
    if actor.body != node.body and Role.AUDITOR not in actor.roles:
        raise NotAuthorized(f"record metadata is for members of {node.body} and auditors", error="NotCustodianMember")


@router.post(
    "",
    response_model=StagedOut,
    summary="Register a record (officers and admins of this body); sign and submit the returned request",
    responses={
        403: {"description": "Not an officer or admin of this body"},
        422: {"description": "Unknown category, missing or unknown fields, bad national ID"},
    },
)
def register(body: RecordIn, actor: CurrentMember, node: NodeDep) -> StagedOut:
    actor.require(Role.OFFICER | Role.ADMIN, "register records", body=node.body)
    record = node.store.stage_add(
        actor=PendingSigner(node.relayer, actor.address),
        category=body.category,
        national_id=body.nationalId,
        fields=body.fields,
    )
    return _staged(
        node,
        actor,
        parse_record_id(record.record_id),
        f"register {body.category} record {record.record_id[:10]}… at {node.body}",
    )


@router.get("", response_model=list[RecordOut], summary="This body's records (metadata only)")
def list_records(
    actor: CurrentMember,
    node: NodeDep,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RecordOut]:
    _may_see(actor, node)
    return [_out(node, parse_record_id(r.record_id)) for r in node.store.list_records(offset=offset, limit=limit)]


@router.post(
    "/search",
    response_model=list[RecordOut],
    summary="Find a resident's records by national ID, at this body and every other (officers and admins of any body)",
    description="This body's records first; then those other bodies keep, as the chain registers them "
    "(metadata only; read or request them here, and this node asks theirs).",
)
def search(body: SearchIn, actor: CurrentMember, node: NodeDep) -> list[RecordOut]:
    actor.require(Role.OFFICER | Role.ADMIN, "look up records")
    found = [_out(node, parse_record_id(r.record_id)) for r in node.store.records_of_subject(body.nationalId)]
    elsewhere = _registered_elsewhere(node, node.store.subject_of(body.nationalId), {r.recordId for r in found})
    return [r for r in found + elsewhere if body.category is None or r.category == body.category]


def _registered_elsewhere(node: Node, subject: bytes, known: set[str]) -> list[RecordOut]:
    """The subject's records other bodies keep, from the chain's RecordRegistered logs and record states."""
    records = node.contracts.records
    start = node.chain.manifest.deploy_block if node.chain.manifest else 0
    out = []
    for log in records.handle.logs("RecordRegistered", from_block=start, subject=subject):
        rid = bytes(log["recordId"])
        if hex32(rid) in known:
            continue
        state = records.get_record(rid)
        updates = (
            records.handle.logs("RecordUpdated", from_block=int(log["blockNumber"]), recordId=rid)
            if state.version > 1
            else []
        )
        created = _block_time(node, int(log["blockNumber"]))
        updated = _block_time(node, int(updates[-1]["blockNumber"])) if updates else created
        out.append(
            RecordOut(
                recordId=hex32(rid),
                subjectId=hex32(subject),
                custodian=code_name(state.custodian),
                category=code_name(state.category),
                version=state.version,
                status=state.status.name.lower(),
                anchorState="anchored",
                createdAt=created,
                updatedAt=updated,
            )
        )
    return out


def _block_time(node: Node, number: int) -> dt.datetime:
    block = node.chain.blocks.block(number)
    if block is None:
        raise NotFound(f"block {number} is not on the chain", error="NoSuchBlock")
    return dt.datetime.fromtimestamp(block.timestamp, dt.UTC)


@router.get(
    "/{record_id}",
    response_model=RecordOut,
    summary="A record's metadata",
    responses={404: {"description": "No such record at this body"}},
)
def get_record(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> RecordOut:
    _may_see(actor, node)
    return _out(node, parse_record_id(record_id))


@router.get("/{record_id}/versions", response_model=list[VersionOut], summary="A record's versions and anchors")
def versions(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> list[VersionOut]:
    _may_see(actor, node)
    return [
        VersionOut(
            version=v.version,
            commitment=v.commitment,
            anchorState=v.anchor_state.value,
            anchorTx=v.anchor_tx,
            anchorBlock=v.anchor_block,
            createdAt=v.created_at,
        )
        for v in node.store.versions(parse_record_id(record_id))
    ]


@router.post(
    "/{record_id}/versions",
    response_model=StagedOut,
    summary="Store a new version (officers and admins of this body); sign and submit the request",
    responses={409: {"description": "Erased, or the previous change is not anchored yet"}},
)
def new_version(record_id: Annotated[str, RECORD_ID], body: VersionIn, actor: CurrentMember, node: NodeDep) -> StagedOut:
    actor.require(Role.OFFICER | Role.ADMIN, "update records", body=node.body)
    rid = parse_record_id(record_id)
    record = node.store.stage_update(actor=PendingSigner(node.relayer, actor.address), record_id=rid, fields=body.fields)
    return _staged(node, actor, rid, f"store version {record.version} of record {record_id[:10]}…")


@router.delete(
    "/{record_id}",
    response_model=StagedOut,
    summary="Erase a record (admins of this body): keys and ciphertexts destroyed at once",
)
def erase(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> StagedOut:
    actor.require(Role.ADMIN, "erase records", body=node.body)
    rid = parse_record_id(record_id)
    node.store.stage_erase(actor=PendingSigner(node.relayer, actor.address), record_id=rid)
    return _staged(node, actor, rid, f"mark record {record_id[:10]}… erased")


@router.post(
    "/{record_id}/anchor",
    response_model=StagedOut,
    summary="Prepare again the request that anchors my pending change of this record",
    responses={
        404: {"description": "No pending change of mine"},
        409: {"description": "The pending change is another member's to sign"},
    },
)
def anchor(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> StagedOut:
    rid = parse_record_id(record_id)
    node.store.anchorer.settle(actor.address)
    waiting = node.store.anchorer.pending(record_id=record_id.lower())
    if not waiting:
        raise NotFound(f"record {record_id} has no change waiting to be anchored", error="NothingPending")
    if waiting[0].actor != actor.address:
        raise Conflict(f"the pending change is {waiting[0].actor}'s to sign", error="AnchorPending")
    return _staged(node, actor, rid, f"anchor the pending {waiting[0].action.value} of record {record_id[:10]}…")
