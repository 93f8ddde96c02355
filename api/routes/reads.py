"""Reads: prepare a read request, sign it, submit it; get the granted fields and a receipt.

The answer is sent only after the access event (with the signed request) is committed;
see :mod:`ledger.reads` for the order of checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import CurrentMember, Node, NodeDep, SignedIn
from api.routes.access import FieldList
from api.schemas import DisclosureBundle
from ledger.ids import code_name
from ledger.store.models import AccessEvent
from ledger.store.records import parse_record_id
from ledger.store.trail import settle
from ledger.trail import receipts

router = APIRouter(prefix="/reads", tags=["reads"])


class ReadPrepareIn(BaseModel):
    recordId: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")
    fields: FieldList = Field(examples=[["address", "income_band"]])
    purpose: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,30}$", examples=["subsistence_review"])
    emergencyId: int = Field(default=0, ge=0, le=2**63 - 1,
                             description="An emergency declaration of mine, for a break-glass read")


class ReadPrepared(BaseModel):
    """EIP-712 typed data of a ``ReadRequest``: sign it (``eth_signTypedData_v4``) and post it to /reads."""

    typedData: dict[str, Any]


class ReadIn(BaseModel):
    typedData: dict[str, Any]
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class Receipt(BaseModel):
    """The node's signed promise: EIP-712 ``AccessReceipt(custodian, seq, eventHash, anchorBy)`` in the domain
    ``CivicLedgerTrail`` v1 of the AccessTrail contract, signed by the body's anchor account."""

    custodian: str = Field(description="The custodian body's id (bytes32), as signed")
    custodianCode: str = Field(description="The same body by its code, e.g. rc-east (not signed: read from custodian)")
    seq: int = Field(description="The access event's sequence number at this node")
    eventHash: str
    at: dt.datetime
    anchorBy: int = Field(description="Unix time by which the event will be anchored on-chain")
    signature: str = Field(description="The node's EIP-712 signature of the receipt")
    signer: str = Field(description="The node's anchor account")


class ReadOut(BaseModel):
    bundle: DisclosureBundle = Field(description="Selective disclosure: the granted fields with salts and proofs; "
                                                 "verify with `ledger records verify` or against RecordRegistry")
    receipt: Receipt


@router.post("/prepare", response_model=ReadPrepared,
             summary="Prepare a read request; refused now (403) if the chain would refuse it",
             responses={403: {"description": "No grant, expired, revoked, no consent, or not covered"},
                        404: {"description": "No such record here"}})
def prepare_read(body: ReadPrepareIn, actor: CurrentMember, node: NodeDep) -> ReadPrepared:
    typed = node.reads.prepare(reader=actor.address, record_id=parse_record_id(body.recordId), fields=body.fields,
                               purpose=body.purpose, emergency_id=body.emergencyId)
    return ReadPrepared(typedData=typed)


@router.post("", response_model=ReadOut, summary="Read: submit a signed read request",
             responses={403: {"description": "No grant now, or signed by another account than the token's"},
                        409: {"description": "This signed request was served already (replay)"},
                        422: {"description": "Malformed, foreign or expired request"}})
async def read(body: ReadIn, account: SignedIn, node: NodeDep) -> ReadOut:
    # steps 1-3 of ledger.reads in a worker thread (membership is asked with the access rule, in one
    # question to the chain); the event's commit is awaited without holding a thread, so concurrent reads
    # share one transaction; only then does the bundle leave
    opened = await run_in_threadpool(node.reads.open, typed=body.typedData, signature=body.signature,
                                     signed_in=account)
    e = settle(await asyncio.wrap_future(node.trail.submit(opened.event)))
    kind = "emergency" if e.emergency_id else ("grant" if e.grant_id else "own_body")
    node.metrics.reads.labels(kind).inc()
    return ReadOut(bundle=DisclosureBundle.model_validate(opened.bundle), receipt=receipt_of(node, e))


def receipt_of(node: Node, e: AccessEvent) -> Receipt:
    anchor_by = node.anchorer.anchor_by(e.at, node.settings.trail_anchor_grace)
    message = {"custodian": e.body, "seq": e.seq, "eventHash": e.event_hash, "anchorBy": anchor_by}
    account = node.relayer.account
    signature = receipts.sign(account, "AccessReceipt", message, chain_id=node.chain.chain_id,
                              verifying_contract=node.reads.verifying_contract)
    return Receipt(custodian=e.body, custodianCode=code_name(bytes.fromhex(e.body[2:])), seq=e.seq,
                   eventHash=e.event_hash, at=e.at, anchorBy=anchor_by,
                   signature=signature, signer=account.address)
