"""A resident's trail across the consortium (``civic-ledger/consortium-trail@1``), verified with the chain
alone: each node's part is a trail bundle (:mod:`ledger.trail.proofs`) checked on its own, and no body
whose trail the chain anchors may be missing from the parts; a node that did not answer is named."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes

from ledger.chain.deploy import Contracts
from ledger.errors import TrailInvalid
from ledger.ids import code_id, code_name
from ledger.trail.proofs import verify_trail

SCHEMA = "civic-ledger/consortium-trail@1"


def anchoring_bodies(contracts: Contracts) -> set[str]:
    """Every body whose trail the chain anchors (it has logged reads), by code."""
    handle = contracts.trail.handle
    found = {bytes(e["body"]) for name in ("AccessBatchAnchored", "AccessEventAnchored") for e in handle.logs(name)}
    return {code_name(b) for b in found}


def verify_consortium_trail(doc: Any, contracts: Contracts) -> dict[str, Any]:
    """Checks every answered part; raises :class:`TrailInvalid` naming the part (and the check) that failed."""
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise TrailInvalid(f"not a consortium trail ({SCHEMA})", reason="malformed")
    try:
        subject = "0x" + bytes(HexBytes(str(doc["subject"]))).hex()
        parts = list(doc["parts"])
        out, seen = [], set()
        for part in parts:
            custodian = str(part["custodian"])
            code_id(custodian)  # a body code
            if custodian in seen:
                raise TrailInvalid(f"{custodian} has two parts", reason="duplicate_part")
            seen.add(custodian)
            bundle = part.get("bundle")
            if bundle is None:
                out.append(
                    {
                        "custodian": custodian,
                        "status": str(part.get("status")),
                        "verified": False,
                        "error": part.get("error"),
                    }
                )
                continue
            try:
                report = verify_trail(bundle, contracts)
            except TrailInvalid as exc:
                raise TrailInvalid(f"the part of {custodian}: {exc.message}", reason=exc.reason) from None
            if (report.subject, report.custodian) != (subject, custodian):
                raise TrailInvalid(f"the part of {custodian} is another body's or resident's trail", reason="foreign_part")
            out.append(
                {
                    "custodian": custodian,
                    "status": "answered",
                    "verified": True,
                    **{
                        k: v
                        for k, v in report.as_json().items()
                        if k in ("events", "anchored", "pending", "anchoredThrough")
                    },
                }
            )
    except TrailInvalid:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise TrailInvalid(f"malformed consortium trail: {exc!r}", reason="malformed") from None
    left_out = sorted(anchoring_bodies(contracts) - seen)
    if left_out:
        raise TrailInvalid(
            f"the trail leaves out {', '.join(left_out)}, whose reads the chain anchors", reason="missing_part"
        )
    unanswered = [p["custodian"] for p in out if not p["verified"] and p["status"] != "no_node"]
    return {
        "ok": True,
        "schema": SCHEMA,
        "subject": subject,
        "complete": not unanswered,
        "notAnswered": unanswered,
        "events": sum(p.get("events", 0) for p in out),
        "parts": out,
    }
