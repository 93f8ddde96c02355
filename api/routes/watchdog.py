"""The watchdog's alerts (auditors; a body's admins see their own node's) and auditors' reviews of them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import CurrentMember, NodeDep
from api.schemas.tx import Prepared
from api.schemas.watchdog import AlertReviewIn, WatchdogOut
from api.services import watchdog
from ledger.ids import Role

router = APIRouter(prefix="/watchdog", tags=["watchdog"])


@router.get(
    "/alerts",
    response_model=WatchdogOut,
    summary="The watchdog's alerts over this node's trail, or every node's (auditors; a body's admins: their node's)",
    description="Each rule (volume against the post's median, reads outside the reader's grids, off hours, "
    "repeated reads of one resident, a body's emergency reads against its history) runs over the trail, "
    "with its threshold from the settings. `scope=consortium` runs at the auditor body's node over every "
    "node's trail, mirrored from them first. Each alert says its state from the auditors' reviews on-chain.",
    responses={
        403: {"description": "Not an auditor (or the body's admin), or consortium scope away from the auditor's node"}
    },
)
async def alerts(
    actor: CurrentMember,
    node: NodeDep,
    days: Annotated[int, Query(ge=1, le=366, description="Alerts of the last days, today included")] = 14,
    scope: Annotated[Literal["node", "consortium"], Query(description="This node's trail or every node's")] = "node",
) -> WatchdogOut:
    if scope == "consortium":
        actor.require(Role.AUDITOR, "see the consortium's watchdog alerts")
    elif Role.AUDITOR not in actor.roles:
        actor.require(Role.ADMIN, "see this node's watchdog alerts", body=node.body)
    return await run_in_threadpool(watchdog.alerts_out, node, actor, days, consortium=scope == "consortium")


@router.post(
    "/alerts/{alert_id}/review",
    response_model=Prepared,
    summary="Prepare: acknowledge or escalate an alert, with a note (auditors)",
    description="The review goes on-chain (`AccessTrail.reviewAlert`) signed by the auditor: the alert's id, "
    "the hash of the events they saw, the verdict and the note's salted hash; the note stays at this node. "
    "409 if events joined the alert since it was shown.",
    responses={
        403: {"description": "Not an auditor"},
        404: {"description": "No such alert raised here"},
        409: {"description": "The alert changed since it was shown"},
    },
)
async def review(
    alert_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$")],
    body: AlertReviewIn,
    actor: CurrentMember,
    node: NodeDep,
) -> Prepared:
    actor.require(Role.AUDITOR, "review the watchdog's alerts")
    return await run_in_threadpool(watchdog.review, node, actor, alert_id, body)
