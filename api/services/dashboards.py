"""The auditors' dashboard: reads per reading body per day, refusals, emergency reads, the anchoring
backlog and latency; of this node, or of every node (asked by the auditor body's node, each node
answering for itself through ``/node/dashboard``)."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from api.deps import Node
from api.schemas.audit import ConsortiumDashboard, Dashboard, DayCount, NodeDashboard
from ledger.ids import code_id, code_name
from ledger.peers.gather import active_bodies, ask_all

#: How long the auditor's node waits for each node's figures, seconds.
TIMEOUT = 20.0


def of_node(node: Node, days: int) -> Dashboard:
    since = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days - 1)
    counts = node.trail.reads_per_day(since)
    emergencies = node.indexer.emergency_ids(custodian=code_id(node.body))
    unreviewed = node.indexer.emergency_ids(custodian=code_id(node.body), unreviewed=True)
    return Dashboard(
        custodian=node.body,
        days=days,
        readsPerBodyPerDay=[DayCount(day=d, body=code_name(bytes.fromhex(b[2:])), reads=n) for d, b, n in counts],
        denialsByDecision=node.metrics.read_denials_by_decision(),
        emergencies={"reviewed": len(emergencies) - len(unreviewed), "unreviewed": len(unreviewed)},
        anchoring=node.anchorer.status.as_json(),
        latencySeconds=node.trail.anchor_latency(),
    )


def of_consortium(node: Node, days: int) -> ConsortiumDashboard:
    """This node's figures and every other active body's node's, each checked to be that body's own."""
    own = node.store.body
    others = [b for b in active_bodies(node.questions, node.indexer.body_ids()) if b != own]
    parts = [NodeDashboard(body=node.body, status="answered", error=None, dashboard=of_node(node, days))]
    for a in ask_all(node.peers, others, "/node/dashboard", {"days": days}, timeout=TIMEOUT):
        name = code_name(a.body)
        if not a.ok:
            parts.append(
                NodeDashboard(body=name, status="unreachable" if a.published else "no_node", error=a.error, dashboard=None)
            )
            continue
        try:
            figures = Dashboard.model_validate(a.data)
        except ValidationError:
            figures = None
        if figures is None or figures.custodian != name or figures.days != days:
            error = "answered something that is not its own dashboard"
            parts.append(NodeDashboard(body=name, status="unreachable", error=error, dashboard=None))
            continue
        parts.append(NodeDashboard(body=name, status="answered", error=None, dashboard=figures))
    return ConsortiumDashboard(days=days, complete=all(p.status != "unreachable" for p in parts), bodies=parts)
