"""A body's records: registering, changing and erasing them (staged for the member to sign), their
metadata, and finding a resident's records at this body and, from the chain, at every other."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.deps import Actor, Node
from api.schemas.records import RecordOut, StagedOut, VersionOut
from ledger.chain.client import PendingSigner
from ledger.errors import Conflict, NotAuthorized, NotFound
from ledger.ids import Role, code_name, hex32, parse_record_id


def record_out(node: Node, record_id: bytes) -> RecordOut:
    """A record of this body as the API shows it: metadata, and the state of its latest anchor."""
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
    """The stored change's anchoring request, for ``actor`` to sign and submit."""
    [entry] = node.store.anchorer.pending(actor.address, record_id=hex32(record_id))
    typed = node.store.anchorer.prepare(entry, node.relayer)
    return StagedOut(record=record_out(node, record_id), typedData=typed, summary=summary)


def _may_see(actor: Actor, node: Node) -> None:
    if actor.body != node.body and Role.AUDITOR not in actor.roles:
        raise NotAuthorized(f"record metadata is for members of {node.body} and auditors", error="NotCustodianMember")


def register(node: Node, actor: Actor, category: str, national_id: str, fields: dict[str, Any]) -> StagedOut:
    """Store a new record encrypted at once; its registration waits for ``actor``'s signature."""
    actor.require(Role.OFFICER | Role.ADMIN, "register records", body=node.body)
    record = node.store.stage_add(
        actor=PendingSigner(node.relayer, actor.address), category=category, national_id=national_id, fields=fields
    )
    summary = f"register {category} record {record.record_id[:10]}… at {node.body}"
    return _staged(node, actor, parse_record_id(record.record_id), summary)


def update(node: Node, actor: Actor, record_id: bytes, fields: dict[str, Any]) -> StagedOut:
    actor.require(Role.OFFICER | Role.ADMIN, "update records", body=node.body)
    record = node.store.stage_update(actor=PendingSigner(node.relayer, actor.address), record_id=record_id, fields=fields)
    return _staged(node, actor, record_id, f"store version {record.version} of record {hex32(record_id)[:10]}…")


def erase(node: Node, actor: Actor, record_id: bytes) -> StagedOut:
    actor.require(Role.ADMIN, "erase records", body=node.body)
    node.store.stage_erase(actor=PendingSigner(node.relayer, actor.address), record_id=record_id)
    return _staged(node, actor, record_id, f"mark record {hex32(record_id)[:10]}… erased")


def anchor_again(node: Node, actor: Actor, record_id: bytes) -> StagedOut:
    """The anchoring request of ``actor``'s pending change of the record, prepared again."""
    rid = hex32(record_id)
    node.store.anchorer.settle(actor.address)
    waiting = node.store.anchorer.pending(record_id=rid)
    if not waiting:
        raise NotFound(f"record {rid} has no change waiting to be anchored", error="NothingPending")
    if waiting[0].actor != actor.address:
        raise Conflict(f"the pending change is {waiting[0].actor}'s to sign", error="AnchorPending")
    return _staged(node, actor, record_id, f"anchor the pending {waiting[0].action.value} of record {rid[:10]}…")


def listed(node: Node, actor: Actor, *, offset: int, limit: int) -> list[RecordOut]:
    _may_see(actor, node)
    return [record_out(node, parse_record_id(r.record_id)) for r in node.store.list_records(offset=offset, limit=limit)]


def metadata(node: Node, actor: Actor, record_id: bytes) -> RecordOut:
    _may_see(actor, node)
    return record_out(node, record_id)


def versions(node: Node, actor: Actor, record_id: bytes) -> list[VersionOut]:
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
        for v in node.store.versions(record_id)
    ]


def search(node: Node, actor: Actor, national_id: str, category: str | None) -> list[RecordOut]:
    """The resident's records here first, then those other bodies keep (as the chain registers them)."""
    actor.require(Role.OFFICER | Role.ADMIN, "look up records")
    found = [record_out(node, parse_record_id(r.record_id)) for r in node.store.records_of_subject(national_id)]
    elsewhere = _registered_elsewhere(node, node.store.subject_of(national_id), {r.recordId for r in found})
    return [r for r in found + elsewhere if category is None or r.category == category]


def _registered_elsewhere(node: Node, subject: bytes, known: set[str]) -> list[RecordOut]:
    """The subject's records other bodies keep, from the chain's RecordRegistered logs and record states."""
    records = node.contracts.records
    start = node.chain.manifest.deploy_block if node.chain.manifest else 0
    out = []
    for rid, registered in records.registered_of(subject, from_block=start):
        if hex32(rid) in known:
            continue
        state = records.get_record(rid)
        updated_at = records.last_updated_at(rid, from_block=registered) if state.version > 1 else None
        created = _block_time(node, registered)
        updated = _block_time(node, updated_at) if updated_at is not None else created
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
