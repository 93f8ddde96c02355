"""The consortium-wide audit: each node audits itself, the auditor's node gathers the signed results
and checks each against the chain, and the auditor gets one report (``civic-ledger/consortium-audit@1``).

A node answers the auditor's request (a fresh 32-byte nonce) with its audit report
(:mod:`ledger.audit.node`) and an EIP-712 ``AuditResult`` (:mod:`ledger.trail.receipts`) signed by its
body's node account. The auditor's node trusts none of it beyond what it can check:

1. the result is signed by the account holding the body's anchor role on-chain, for this request;
2. the report is the one signed (its RFC 8785 keccak-256 hash), for this body, and says what the
   signed result says (passed or not, records, anchored through);
3. against the chain, read before the request was sent: the audit covered every event the chain
   anchors for the body and every record the chain registers as kept by it (an audit of a
   database that lost rows, or of a stale copy, is caught here even when the node says it passed);
4. every check of the report passed.

A body with no node address published, or whose node does not answer, fails the audit if the chain
shows it keeps records or anchors a trail; one that keeps nothing is reported as such.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.audit.findings import finding
from ledger.chain.deploy import Contracts
from ledger.commitments.record import canonical_json
from ledger.crypto.keccak import keccak
from ledger.errors import TrailInvalid
from ledger.ids import Role, code_name
from ledger.peers.gather import Answer
from ledger.trail import receipts
from ledger.trail.proofs import chain_anchors, check_contiguous

SCHEMA = "civic-ledger/consortium-audit@1"


def new_request() -> str:
    return "0x" + os.urandom(32).hex()


def report_hash(report: dict[str, Any]) -> str:
    return "0x" + keccak(canonical_json(report)).hex()


def signed_result(account: LocalAccount, contracts: Contracts, report: dict[str, Any], request: str) -> dict[str, Any]:
    """What a node answers the auditor: its report and the ``AuditResult`` its node account signed."""
    message = {
        "body": report["bodyId"],
        "request": request,
        "ok": bool(report["ok"]),
        "reportHash": report_hash(report),
        "records": int(report["records"]),
        "anchoredThrough": int(report["anchoredThrough"]),
        "issuedAt": int(time.time()),
    }
    signature = receipts.sign(
        account, "AuditResult", message, chain_id=contracts.chain.chain_id, verifying_contract=contracts.trail.handle.address
    )
    return {"report": report, "result": {"message": message, "signature": signature}}


@dataclass(frozen=True)
class OnChain:
    """What the chain says a body keeps, read before the nodes are asked."""

    records: int
    anchored_through: int | None  # None: the chain's anchors of the body are not contiguous

    @classmethod
    def of(cls, contracts: Contracts, body: bytes) -> OnChain:
        records = len(contracts.records.handle.logs("RecordRegistered", custodian=body))
        try:
            through: int | None = check_contiguous(chain_anchors(contracts, body))
        except TrailInvalid:
            through = None
        return cls(records, through)

    @property
    def keeps_nothing(self) -> bool:
        return self.records == 0 and self.anchored_through == 0


@dataclass
class BodyAudit:
    body: bytes
    status: str  # passed, failed, unreachable, no_node (keeps nothing on-chain)
    problems: list[dict[str, Any]] = field(default_factory=list)  # findings (ledger.audit.findings)
    report: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "body": code_name(self.body),
            "bodyId": "0x" + self.body.hex(),
            "status": self.status,
            "problems": self.problems,
            "notes": self.notes,
            "report": self.report,
        }


def check_answer(contracts: Contracts, answer: Answer, request: str, before: OnChain) -> BodyAudit:
    """One body's part of the consortium audit, checked against the chain (the module doc's 1-4)."""
    body = answer.body
    if not answer.ok:
        if before.keeps_nothing:
            return BodyAudit(
                body,
                "no_node",
                notes=[f"{code_name(body)} {answer.error}; the chain shows it keeps no records and anchors no trail"],
            )
        return BodyAudit(body, "unreachable", [finding("node_unreachable", detail=answer.error or "")])
    problems = _problems(contracts, answer.data, body, request, before)
    report = answer.data.get("report") if isinstance(answer.data, dict) else None
    return BodyAudit(body, "failed" if problems else "passed", problems, report if isinstance(report, dict) else None)


def _problems(contracts: Contracts, data: Any, body: bytes, request: str, before: OnChain) -> list[dict[str, Any]]:
    try:
        report, message, signature = data["report"], data["result"]["message"], data["result"]["signature"]
        signer = receipts.signer(
            "AuditResult",
            message,
            signature,
            chain_id=contracts.chain.chain_id,
            verifying_contract=contracts.trail.handle.address,
        )
        said = (
            str(message["body"]).lower(),
            str(message["request"]).lower(),
            bool(message["ok"]),
            str(message["reportHash"]).lower(),
            int(message["records"]),
            int(message["anchoredThrough"]),
        )
        shown = (
            str(report["bodyId"]).lower(),
            request.lower(),
            bool(report["ok"]),
            report_hash(report),
            int(report["records"]),
            int(report["anchoredThrough"]),
        )
        checks = list(report["checks"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [finding("answer_malformed", detail=type(exc).__name__)]
    member_body, roles = contracts.bodies.member_of(signer)
    if member_body != body or not Role(roles) & Role.ANCHOR:
        return [finding("signed_by_other", signer=signer, body=code_name(body))]
    if said[0] != "0x" + body.hex() or said[1] != request.lower():
        return [finding("result_replayed")]
    if said != shown:
        return [finding("report_differs")]
    problems = []
    if before.anchored_through is None:
        problems.append(finding("anchors_not_contiguous", detail="as the chain holds them"))
    elif said[5] < before.anchored_through:
        problems.append(finding("trail_not_covered", through=said[5], anchored=before.anchored_through))
    if said[4] < before.records:
        problems.append(finding("records_missing", covered=said[4], registered=before.records))
    for c in checks:
        if not c.get("ok"):
            first = (c.get("failures") or [None])[0]
            problem = finding("check_failed", number=c.get("number"), title=c.get("title"), failed=c.get("failed"))
            if isinstance(first, dict):  # the first failure, as the node's own report words it
                problem["first"] = {k: first.get(k) for k in ("kind", "ref", "code", "vars", "message")}
                problem["message"] += f"; first: {first.get('item')}: {first.get('message')}"
            problems.append(problem)
    return problems


def consortium_report(parts: list[BodyAudit], started: dt.datetime, by: str) -> dict[str, Any]:
    """The one report: passed only if every body passed or keeps nothing on-chain."""
    ok = all(p.status in ("passed", "no_node") for p in parts)
    return {
        "schema": SCHEMA,
        "ok": ok,
        "by": by,
        "startedAt": started.isoformat(),
        "finishedAt": dt.datetime.now(dt.UTC).isoformat(),
        "summary": {s: sum(p.status == s for p in parts) for s in ("passed", "failed", "unreachable", "no_node")},
        "bodies": [p.as_json() for p in parts],
    }
