"""``/health``: can this node reach its chain and its database, is its trail anchored and its
index following the chain, and what is deployed. 503 (``degraded``) when anything fails."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.deps import NodeDep

router = APIRouter(tags=["operations"])


class HealthOut(BaseModel):
    status: Literal["ok", "degraded"]
    body: str | None
    chain: dict[str, Any] = Field(
        description="reachable, chainId, head (the block reads are decided at), "
        "headAgeSeconds (the node's lag: since it last heard the head), "
        "pollInterval, questionsAnswered, questionsAsked (or error)"
    )
    database: dict[str, Any] = Field(description="reachable, dialect (or error)")
    trail: dict[str, Any] = Field(
        description="mode, anchoring, anchoredThrough, latestSeq, unanchored, "
        "consecutiveFailures, lastError, failingSince, replacedTotal, "
        "rewindsTotal, overdueSeconds (past the oldest receipt's anchorBy)"
    )
    index: dict[str, Any] = Field(description="block, depth, lastError, rewinds, lastRewind")
    manifest: dict[str, Any] | None


@router.get(
    "/health",
    summary="Chain and database reachability, trail anchoring and index status, manifest",
    response_model=HealthOut,
    responses={
        503: {
            "model": HealthOut,
            "description": "degraded: the chain or the database is "
            "unreachable, anchoring fails or is overdue, or the "
            "index stopped",
        }
    },
)
def health(node: NodeDep) -> JSONResponse:
    report: dict[str, Any] = {"status": "ok", "body": node.settings.body}
    try:
        head = node.questions.head.current()  # the followed head; asked now only when it is stale
        report["chain"] = {"reachable": True, "chainId": node.chain.chain_id, **node.questions.report(), "head": head}
    except Exception as exc:  # noqa: BLE001 — any failure is a degraded chain, reported
        report["chain"] = {"reachable": False, "error": type(exc).__name__}
        report["status"] = "degraded"
    try:
        with node.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        report["database"] = {"reachable": True, "dialect": node.engine.dialect.name}
    except Exception as exc:  # noqa: BLE001 — any failure is a degraded database, reported
        report["database"] = {"reachable": False, "error": type(exc).__name__}
        report["status"] = "degraded"
    status = node.anchorer.status
    report["trail"] = {
        "mode": node.settings.trail_mode,
        "anchoring": node.settings.trail_anchoring,
        **node.anchorer.report(),
    }
    try:
        overdue = node.anchorer.overdue(node.settings.trail_anchor_grace)
    except Exception:  # noqa: BLE001 — the database is down: said above
        overdue = 0.0
    report["trail"]["overdueSeconds"] = round(overdue, 1)
    if status.consecutive_failures or overdue > 0:  # a receipt's anchorBy promise is broken: say so
        report["status"] = "degraded"
    cursor, _ = node.indexer.cursor()
    report["index"] = {
        "block": cursor,
        "depth": node.indexer.depth,
        "lastError": node.indexer.last_error,
        "rewinds": node.indexer.rewinds,
        "lastRewind": node.indexer.last_rewind,
    }
    if node.indexer.last_error:
        report["status"] = "degraded"
    manifest = node.chain.manifest
    report["manifest"] = manifest.to_json() if manifest else None
    return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)
