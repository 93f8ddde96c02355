"""Seals over covert reads: a sealing body seals its own grant's or emergency's reads (at most 90 days), an
oversight body extends a seal (by at most 90 days each time), the sealer releases it; auditors see how many
reads each body hides and for how long."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool

from api.deps import CurrentMember, NodeDep
from api.schemas.seals import SealExtendIn, SealIn, SealsOut, SealStatsOut
from api.schemas.tx import Prepared
from api.services import seals
from ledger.ids import Role

router = APIRouter(prefix="/seals", tags=["seals"])
SealId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get(
    "",
    response_model=SealsOut,
    summary="The seals this person may see (a sealing body: its own; oversight bodies: every seal's case hash, "
    "body and ages; auditors: everything; anyone else: none, with seat `none`)",
)
async def list_seals(actor: CurrentMember, node: NodeDep) -> SealsOut:
    return await run_in_threadpool(seals.seals_out, node, actor)


@router.get(
    "/stats",
    response_model=SealStatsOut,
    summary="Per sealing body: seals in force, ended and extended, their ages, and the reads they hide now "
    "(auditors; counted at every node from the auditor body's node)",
    responses={403: {"description": "Not an auditor"}},
)
async def seal_stats(actor: CurrentMember, node: NodeDep) -> SealStatsOut:
    actor.require(Role.AUDITOR, "see the seals' statistics")
    return await run_in_threadpool(seals.stats, node)


@router.post(
    "",
    response_model=Prepared,
    summary="Prepare: seal the reads of a grant or emergency declaration of my body (officers and admins of a "
    "sealing body), until at most 90 days from now",
    description="Reads under the seal are written and anchored like any other and every audit counts them, but "
    "their residents are neither shown nor told of them until the seal ends: at its end date, or when the "
    "sealing body releases it. Only reads made once the seal is on-chain are sealed.",
    responses={
        403: {"description": "Not a sealing body's officer or admin, or not the body's own grant or emergency"},
        409: {"description": "Already sealed"},
        422: {"description": "An end in the past or more than 90 days away"},
    },
)
async def place(body: SealIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.OFFICER | Role.ADMIN, "seal reads")
    return await run_in_threadpool(seals.place, node, actor, body)


@router.post(
    "/{seal_id}/extend",
    response_model=Prepared,
    summary="Prepare: extend a seal by at most 90 days past its end, with a reason (an oversight body's officers "
    "and admins; never the sealer)",
    responses={
        403: {"description": "Not an oversight body's officer or admin"},
        404: {"description": "No such seal"},
        409: {"description": "The seal has ended"},
        422: {"description": "Not later than its end, or more than 90 days past it"},
    },
)
async def extend(seal_id: SealId, body: SealExtendIn, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.OFFICER | Role.ADMIN, "extend seals")
    return await run_in_threadpool(seals.extend, node, actor, seal_id, body)


@router.post(
    "/{seal_id}/release",
    response_model=Prepared,
    summary="Prepare: end my body's seal now; its reads are shown to their residents and told",
    responses={
        403: {"description": "Not an officer or admin of the body that placed it"},
        404: {"description": "No such seal"},
        409: {"description": "The seal has ended"},
    },
)
async def release(seal_id: SealId, actor: CurrentMember, node: NodeDep) -> Prepared:
    actor.require(Role.OFFICER | Role.ADMIN, "release seals")
    return await run_in_threadpool(seals.release, node, actor, seal_id)
