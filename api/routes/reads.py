"""Reads: prepare a read request, sign it, submit it; get the granted fields and a receipt.

The answer is sent only after the access event (with the signed request) is committed;
see :mod:`api.services.reads` for the flow and :mod:`ledger.access.reads` for the order of checks.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import CurrentMember, NodeDep, SignedIn
from api.schemas.reads import ReadIn, ReadOut, ReadPrepared, ReadPrepareIn
from api.services import reads

router = APIRouter(prefix="/reads", tags=["reads"])


@router.post(
    "/prepare",
    response_model=ReadPrepared,
    summary="Prepare a read request; refused now (403) if the chain would refuse it",
    description="A record another body keeps is prepared by that body's node: this node forwards the "
    "request, signed as this node, and relays the answer (503 if that node does not answer).",
    responses={
        403: {"description": "No grant, expired, revoked, no consent, or not covered"},
        404: {"description": "No such record here"},
        503: {"description": "The custodian's node does not answer"},
    },
)
async def prepare_read(body: ReadPrepareIn, actor: CurrentMember, node: NodeDep) -> Any:
    return await reads.prepare_read(node, actor.address, body)


@router.post(
    "",
    response_model=ReadOut,
    summary="Read: submit a signed read request",
    description="A request for a record another body keeps goes to that body's node, which checks the grant, "
    "logs the access event and answers; this node relays the answer and keeps its own record "
    "of the read it fetched (503 if that node does not answer).",
    responses={
        403: {"description": "No grant now, or signed by another account than the token's"},
        409: {"description": "This signed request was served already (replay)"},
        422: {"description": "Malformed, foreign or expired request"},
        503: {"description": "The custodian's node does not answer"},
    },
)
async def read(body: ReadIn, account: SignedIn, node: NodeDep) -> Any:
    return await reads.read(node, account, body)
