"""Records of this node's body: register, new version, erase (prepare → sign → submit), metadata.

A change is stored encrypted at once, with an outbox entry; the response carries the
EIP-712 request that anchors it, which the officer signs and posts to ``/tx/submit``.
Until then the change is ``pending`` and cannot be read by others (the chain does not
know it). ``POST /records/{id}/anchor`` prepares the request again (e.g. after its deadline).
Contents never leave through these routes: reads go through ``/reads``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import CurrentMember, NodeDep
from api.schemas.records import RecordIn, RecordOut, SearchIn, StagedOut, VersionIn, VersionOut
from api.services import records
from ledger.ids import parse_record_id

router = APIRouter(prefix="/records", tags=["records"])

RECORD_ID = Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="0x and 64 hex digits")


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
    return records.register(node, actor, body.category, body.nationalId, body.fields)


@router.get("", response_model=list[RecordOut], summary="This body's records (metadata only)")
def list_records(
    actor: CurrentMember,
    node: NodeDep,
    offset: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[RecordOut]:
    return records.listed(node, actor, offset=offset, limit=limit)


@router.post(
    "/search",
    response_model=list[RecordOut],
    summary="Find a resident's records by national ID, at this body and every other (officers and admins of any body)",
    description="This body's records first; then those other bodies keep, as the chain registers them "
    "(metadata only; read or request them here, and this node asks theirs).",
)
def search(body: SearchIn, actor: CurrentMember, node: NodeDep) -> list[RecordOut]:
    return records.search(node, actor, body.nationalId, body.category)


@router.get(
    "/{record_id}",
    response_model=RecordOut,
    summary="A record's metadata",
    responses={404: {"description": "No such record at this body"}},
)
def get_record(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> RecordOut:
    return records.metadata(node, actor, parse_record_id(record_id))


@router.get("/{record_id}/versions", response_model=list[VersionOut], summary="A record's versions and anchors")
def versions(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> list[VersionOut]:
    return records.versions(node, actor, parse_record_id(record_id))


@router.post(
    "/{record_id}/versions",
    response_model=StagedOut,
    summary="Store a new version (officers and admins of this body); sign and submit the request",
    responses={409: {"description": "Erased, or the previous change is not anchored yet"}},
)
def new_version(record_id: Annotated[str, RECORD_ID], body: VersionIn, actor: CurrentMember, node: NodeDep) -> StagedOut:
    return records.update(node, actor, parse_record_id(record_id), body.fields)


@router.delete(
    "/{record_id}",
    response_model=StagedOut,
    summary="Erase a record (admins of this body): keys and ciphertexts destroyed at once",
)
def erase(record_id: Annotated[str, RECORD_ID], actor: CurrentMember, node: NodeDep) -> StagedOut:
    return records.erase(node, actor, parse_record_id(record_id))


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
    return records.anchor_again(node, actor, parse_record_id(record_id))
