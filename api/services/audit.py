"""The audit of this node, as ``ledger audit`` runs it, and signed for the auditor's node."""

from __future__ import annotations

from typing import Any

from api.deps import Node
from ledger.audit.consortium import signed_result
from ledger.audit.node import Auditor, AuditReport


def audit_node(node: Node) -> AuditReport:
    """The audit of this node with its settings (the checklist of ``ledger audit``)."""
    s = node.settings
    return Auditor(
        node.store, node.indexer, grace=s.trail_anchor_grace, interval=s.trail_batch_interval, workers=s.audit_workers
    ).run()


def signed_audit(node: Any, request: str) -> dict[str, Any]:
    """This node's audit, with the result its node account signed for the auditor's ``request``."""
    return signed_result(node.relayer.account, node.contracts, audit_node(node).as_json(), request)
