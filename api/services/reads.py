"""Reads, both sides and both ways: a read at this node's door, a read this node forwards to the
custodian's node for its member, and the custodian's side of such a forwarded read.

Every read served here goes the same way (:mod:`ledger.access.reads` says why in this order): the
request checked and the chain asked in a worker thread; the access event committed with those of
concurrent reads (group commit, awaited without holding a thread); the node's signed receipt; only
then the disclosure bundle. A forwarded read is checked as far as this node can, sent to the
custodian's node, and accepted only with a receipt that node's account signed; this node keeps
its own record of the read it fetched.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api.deps import Node
from api.schemas.common import DisclosureBundle
from api.schemas.reads import ReadIn, ReadOut, ReadPrepared, ReadPrepareIn, Receipt
from api.services.custody import keeper_of
from ledger.access.reads import ZERO, SignedRead, parse
from ledger.chain.views import member_of
from ledger.crypto.eip712 import recover_digest
from ledger.errors import NodeUnavailable, NotAuthorized
from ledger.ids import Role, code_name, parse_record_id
from ledger.store.models import AccessEvent, FetchedRead
from ledger.store.trail import settle
from ledger.trail import receipts


async def prepare_read(node: Node, reader: str, body: ReadPrepareIn) -> ReadPrepared | JSONResponse:
    """The read request ``reader`` must sign, prepared by the record's custodian (this node, or the
    custodian's node, asked as this node); refused now if the chain would refuse the read."""
    record_id = parse_record_id(body.recordId)
    custodian = await run_in_threadpool(keeper_of, node, record_id)
    if custodian is not None:
        status, answer = await run_in_threadpool(
            node.peers.post, custodian, "/node/reads/prepare", {**body.model_dump(), "reader": reader}
        )
        return ReadPrepared.model_validate(answer) if status == 200 else JSONResponse(answer, status_code=status)
    return ReadPrepared(
        typedData=await run_in_threadpool(
            lambda: node.reads.prepare(
                reader=reader, record_id=record_id, fields=body.fields, purpose=body.purpose, emergency_id=body.emergencyId
            )
        )
    )


async def read(node: Node, signed_in: str, body: ReadIn) -> ReadOut | JSONResponse:
    """A read the signed-in account signed: served here if this node keeps the record, else fetched."""
    custodian = _custodian_in(body.typedData)
    if custodian is not None and custodian != node.store.body:
        return await _fetch(node, body, signed_in, custodian)
    return await serve(node, body, signed_in=signed_in)


async def serve(node: Node, body: ReadIn, *, signed_in: str, caller_body: bytes | None = None) -> ReadOut:
    """Serves a read of a record kept here: at this node's door (``signed_in``: the token's account), or for
    the node of ``caller_body``, whose member the reader must be (asked with the grant, in one question)."""
    opened = await run_in_threadpool(node.reads.open, typed=body.typedData, signature=body.signature, signed_in=signed_in)
    if caller_body is not None and opened.event.reader_body != "0x" + caller_body.hex():
        raise NotAuthorized(
            f"{signed_in} is not a member of {code_name(caller_body)}, whose node asks", error="NotMemberOfCaller"
        )
    e = settle(await asyncio.wrap_future(node.trail.submit(opened.event)))
    node.metrics.reads.labels("emergency" if e.emergency_id else "grant" if e.grant_id else "own_body").inc()
    return ReadOut(bundle=DisclosureBundle.model_validate(opened.bundle), receipt=receipt_of(node, e))


def receipt_of(node: Node, e: AccessEvent) -> Receipt:
    """The node's signed promise about a committed event: its place in the trail and when it is anchored."""
    anchor_by = node.anchorer.anchor_by(e.at, node.settings.trail_anchor_grace)
    message = {"custodian": e.body, "seq": e.seq, "eventHash": e.event_hash, "anchorBy": anchor_by}
    account = node.relayer.account
    signature = receipts.sign(
        account, "AccessReceipt", message, chain_id=node.chain.chain_id, verifying_contract=node.reads.verifying_contract
    )
    return Receipt(
        custodian=e.body,
        custodianCode=code_name(bytes.fromhex(e.body[2:])),
        seq=e.seq,
        eventHash=e.event_hash,
        at=e.at,
        anchorBy=anchor_by,
        signature=signature,
        signer=account.address,
    )


def _custodian_in(typed: Any) -> bytes | None:
    try:
        raw = bytes.fromhex(str(typed["message"]["custodian"])[2:])
    except (KeyError, TypeError, ValueError):
        return None  # malformed: the local checks say how
    return raw if len(raw) == 32 else None


async def _fetch(node: Node, body: ReadIn, account: str, custodian: bytes) -> ReadOut | JSONResponse:
    """A read of another body's record: checked as far as this node can (form, deadline, the signed-in
    account signed it), forwarded to the custodian's node, its receipt checked and logged here."""
    signed = parse(
        body.typedData, body.signature, chain_id=node.chain.chain_id, verifying_contract=node.reads.verifying_contract
    )
    if signed.reader.lower() != account.lower():
        raise NotAuthorized("the read request must be signed by the signed-in account, for itself", error="WrongSigner")
    status, answer = await run_in_threadpool(node.peers.post, custodian, "/node/reads", body.model_dump())
    if status != 200:
        return JSONResponse(answer, status_code=status)
    out = ReadOut.model_validate(answer)
    await run_in_threadpool(_log_fetched, node, signed, custodian, out)
    return out


def _log_fetched(node: Node, signed: SignedRead, custodian: bytes, out: ReadOut) -> None:
    r = out.receipt
    message = {"custodian": r.custodian, "seq": r.seq, "eventHash": r.eventHash, "anchorBy": r.anchorBy}
    try:
        signer = recover_digest(
            receipts.receipt_digest(message, chain_id=node.chain.chain_id, verifying_contract=node.reads.verifying_contract),
            r.signature,
        )
    except ValueError:
        signer = ""
    body, roles = member_of(node.questions, signer) if signer else (ZERO, 0)
    if r.custodian.lower() != "0x" + custodian.hex() or body != custodian or not Role(roles) & Role.ANCHOR:
        raise NodeUnavailable(
            f"the node of {code_name(custodian)} answered with a receipt its node account did "
            "not sign; the read is not accepted"
        )
    with Session(node.engine) as s, s.begin():
        s.add(
            FetchedRead(
                request_digest=signed.digest,
                reader=signed.reader,
                custodian=r.custodian,
                record_id="0x" + signed.record_id.hex(),
                fields=json.dumps(sorted(signed.fields)),
                purpose=code_name(signed.purpose),
                seq=r.seq,
                event_hash=r.eventHash,
                receipt=r.model_dump_json(),
            )
        )
