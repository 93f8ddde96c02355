"""The outbox of notices to residents, as this node holds it (its admins and auditors)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CurrentMember, NodeDep
from ledger.ids import Role

router = APIRouter(prefix="/notices", tags=["notices"])


class NoticeOut(BaseModel):
    id: str = Field(
        description="Keccak-256 of the notice's kind, body, subject and read or window: the gateway's idempotency key"
    )
    kind: str = Field(description="instant, digest or late")
    subjectId: str
    seq: int = Field(description="The read of an instant or late notice (0 for a digest)")
    windowStart: dt.datetime
    windowEnd: dt.datetime
    state: str = Field(description="pending or delivered")
    attempts: int
    nextAttemptAt: dt.datetime
    deliveredAt: dt.datetime | None
    lastError: str | None
    receipt: str | None = Field(description="The gateway's answer when it took the notice: status and body")


class OutboxOut(BaseModel):
    gateway: bool = Field(description="Whether this node sends notices (LEDGER_NOTIFY_WEBHOOK is set)")
    pending: int
    notices: list[NoticeOut] = Field(description="The newest first")


@router.get(
    "/outbox",
    response_model=OutboxOut,
    summary="The notices to residents this node holds, newest first, and whether each was delivered (its admins, auditors)",
    responses={403: {"description": "Not an admin of this body or an auditor"}},
)
def outbox(
    actor: CurrentMember,
    node: NodeDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="How many, newest first")] = 100,
) -> OutboxOut:
    if Role.AUDITOR not in actor.roles:
        actor.require(Role.ADMIN, "see the notices' outbox", body=node.body)
    return OutboxOut(
        gateway=node.delivery is not None,
        pending=node.outbox.pending(),
        notices=[
            NoticeOut(
                id=n.id,
                kind=n.kind,
                subjectId=n.subject_id,
                seq=n.seq,
                windowStart=n.window_start,
                windowEnd=n.window_end,
                state=n.state,
                attempts=n.attempts,
                nextAttemptAt=n.next_attempt_at,
                deliveredAt=n.delivered_at,
                lastError=n.last_error,
                receipt=n.receipt,
            )
            for n in node.outbox.latest(limit)
        ],
    )
