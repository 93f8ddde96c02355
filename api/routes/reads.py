"""Reads: prepare a read request, sign it, submit it; get the granted fields and a receipt.

The answer is sent only after the access event (with the signed request) is committed;
see :mod:`ledger.access.reads` for the order of checks.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from functools import partial
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from api.deps import CurrentMember, Node, NodeDep, SignedIn
from api.routes.access import FieldList
from api.schemas import DisclosureBundle
from ledger.access.reads import ZERO, SignedRead, parse, recover_digest
from ledger.chain.head import member_of
from ledger.errors import NodeUnavailable, NotAuthorized
from ledger.ids import Role, code_name, parse_record_id
from ledger.store.models import AccessEvent, FetchedRead
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
             description="A record another body keeps is prepared by that body's node: this node forwards the "
                         "request, signed as this node, and relays the answer (503 if that node does not answer).",
             responses={403: {"description": "No grant, expired, revoked, no consent, or not covered"},
                        404: {"description": "No such record here"},
                        503: {"description": "The custodian's node does not answer"}})
async def prepare_read(body: ReadPrepareIn, actor: CurrentMember, node: NodeDep) -> Any:
    record_id = parse_record_id(body.recordId)
    custodian = await run_in_threadpool(node.keeper_of, record_id)
    if custodian is not None:
        status, answer = await run_in_threadpool(node.peers.post, custodian, "/node/reads/prepare",
                                                 {**body.model_dump(), "reader": actor.address})
        return ReadPrepared.model_validate(answer) if status == 200 else JSONResponse(answer, status_code=status)
    typed = await run_in_threadpool(partial(node.reads.prepare, reader=actor.address, record_id=record_id,
                                            fields=body.fields, purpose=body.purpose, emergency_id=body.emergencyId))
    return ReadPrepared(typedData=typed)


@router.post("", response_model=ReadOut, summary="Read: submit a signed read request",
             description="A request for a record another body keeps goes to that body's node, which checks the grant, "
                         "logs the access event and answers; this node relays the answer and keeps its own record "
                         "of the read it fetched (503 if that node does not answer).",
             responses={403: {"description": "No grant now, or signed by another account than the token's"},
                        409: {"description": "This signed request was served already (replay)"},
                        422: {"description": "Malformed, foreign or expired request"},
                        503: {"description": "The custodian's node does not answer"}})
async def read(body: ReadIn, account: SignedIn, node: NodeDep) -> Any:
    custodian = _custodian_in(body.typedData)
    if custodian is not None and custodian != node.store.body:
        return await _fetch(node, body, account, custodian)
    # steps 1-3 of ledger.access.reads in a worker thread (membership is asked with the access rule, in one
    # question to the chain); the event's commit is awaited without holding a thread, so concurrent reads
    # share one transaction; only then does the bundle leave
    opened = await run_in_threadpool(node.reads.open, typed=body.typedData, signature=body.signature,
                                     signed_in=account)
    e = settle(await asyncio.wrap_future(node.trail.submit(opened.event)))
    kind = "emergency" if e.emergency_id else ("grant" if e.grant_id else "own_body")
    node.metrics.reads.labels(kind).inc()
    return ReadOut(bundle=DisclosureBundle.model_validate(opened.bundle), receipt=receipt_of(node, e))


def _custodian_in(typed: Any) -> bytes | None:
    try:
        raw = bytes.fromhex(str(typed["message"]["custodian"])[2:])
    except (KeyError, TypeError, ValueError):
        return None  # malformed: the local checks say how
    return raw if len(raw) == 32 else None


async def _fetch(node: Node, body: ReadIn, account: str, custodian: bytes) -> Any:
    """A read of another body's record: checked as far as this node can (form, deadline, the signed-in
    account signed it), forwarded to the custodian's node, its receipt checked and logged here."""
    read = parse(body.typedData, body.signature, chain_id=node.chain.chain_id,
                 verifying_contract=node.reads.verifying_contract)
    if read.reader.lower() != account.lower():
        raise NotAuthorized("the read request must be signed by the signed-in account, for itself",
                            error="WrongSigner")
    status, answer = await run_in_threadpool(node.peers.post, custodian, "/node/reads", body.model_dump())
    if status != 200:
        return JSONResponse(answer, status_code=status)
    out = ReadOut.model_validate(answer)
    await run_in_threadpool(_log_fetched, node, read, custodian, out)
    return out


def _log_fetched(node: Node, read: SignedRead, custodian: bytes, out: ReadOut) -> None:
    r = out.receipt
    message = {"custodian": r.custodian, "seq": r.seq, "eventHash": r.eventHash, "anchorBy": r.anchorBy}
    try:
        signer = recover_digest(receipts.receipt_digest(message, chain_id=node.chain.chain_id,
                                                        verifying_contract=node.reads.verifying_contract),
                                r.signature)  # libsecp256k1: a tenth of eth-account's typed-data recovery
    except ValueError:
        signer = ""
    body, roles = member_of(node.questions, signer) if signer else (ZERO, 0)
    if r.custodian.lower() != "0x" + custodian.hex() or body != custodian or not Role(roles) & Role.ANCHOR:
        raise NodeUnavailable(f"the node of {code_name(custodian)} answered with a receipt its node account did "
                              "not sign; the read is not accepted")
    with Session(node.engine) as s, s.begin():
        s.add(FetchedRead(request_digest=read.digest,
                          reader=read.reader, custodian=r.custodian, record_id="0x" + read.record_id.hex(),
                          fields=json.dumps(sorted(read.fields)), purpose=code_name(read.purpose), seq=r.seq,
                          event_hash=r.eventHash, receipt=r.model_dump_json()))


def receipt_of(node: Node, e: AccessEvent) -> Receipt:
    anchor_by = node.anchorer.anchor_by(e.at, node.settings.trail_anchor_grace)
    message = {"custodian": e.body, "seq": e.seq, "eventHash": e.event_hash, "anchorBy": anchor_by}
    account = node.relayer.account
    signature = receipts.sign(account, "AccessReceipt", message, chain_id=node.chain.chain_id,
                              verifying_contract=node.reads.verifying_contract)
    return Receipt(custodian=e.body, custodianCode=code_name(bytes.fromhex(e.body[2:])), seq=e.seq,
                   eventHash=e.event_hash, at=e.at, anchorBy=anchor_by,
                   signature=signature, signer=account.address)
