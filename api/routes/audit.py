"""``POST /audit/verify``: the audit of this node (auditors only), as JSON, CSV or an HTML page.

The same checklist as ``ledger audit`` (:mod:`ledger.audit`); the answer is 200 with the
report whether or not the audit passed: ``ok`` (JSON), the status column (CSV) or the
verdict (HTML) tell.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CurrentMember, NodeDep
from ledger.audit import Auditor
from ledger.audit.report import MEDIA_TYPES, render
from ledger.ids import Role

router = APIRouter(prefix="/audit", tags=["audit"])


@router.post("/verify", summary="Audit this node: records, grants, anchors and proofs, signatures (auditors)",
             responses={200: {"content": {"application/json": {}, "text/csv": {}, "text/html": {}},
                              "description": "The report; `ok` says whether every check passed"},
                        403: {"description": "Not an auditor"}})
def verify(actor: CurrentMember, node: NodeDep,
           format: Annotated[Literal["json", "csv", "html"], Query(description="Report format")] = "json") -> Response:
    actor.require(Role.AUDITOR, "run the audit")
    s = node.settings
    report = Auditor(node.store, node.indexer, grace=s.trail_anchor_grace, interval=s.trail_batch_interval,
                     workers=s.audit_workers).run()
    return Response(render(report, format), media_type=MEDIA_TYPES[format])
