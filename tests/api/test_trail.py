"""The trail over HTTP: signed receipts, anchoring within the promised time, inclusion proofs,
a resident's trail bundle verified against the chain alone, the audit endpoint, /health."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from ledger.errors import TrailInvalid
from ledger.ids import Role
from ledger.store.trail import content_hash
from ledger.trail import receipts
from ledger.trail.proofs import chain_anchors, leaf_root, verify_trail
from tests.api.conftest import Api
from tests.api.test_flows import AUDITOR, CA_OFFICER, RC_OFFICER, granted_record, refused

RC_EAST = b"rc-east".ljust(32, b"\0")


def wait_for(fn: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


@pytest.fixture(scope="module")
def read_three(api: Api) -> dict[str, Any]:
    """Three reads of one resident's record by the civil affairs officer, and an access code."""
    nid, record_id, _grant, reader = granted_record(api)
    answers = [reader.read(record_id, ["address"], "subsistence_review") for _ in range(3)]
    code = api.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    return {"nid": nid, "record": record_id, "receipts": [a["receipt"] for a in answers], "code": code, "reader": reader}


def test_receipts_are_signed_by_the_node_and_proofs_follow_anchoring(api: Api, read_three: dict[str, Any]) -> None:
    chain_id = api.chain.chain_id
    trail_address = api.contracts.trail.handle.address
    for r in read_three["receipts"]:
        message = {k: r[k] for k in ("custodian", "seq", "eventHash", "anchorBy")}
        signer = receipts.signer(
            "AccessReceipt", message, r["signature"], chain_id=chain_id, verifying_contract=trail_address
        )
        body, roles = api.contracts.bodies.member_of(signer)
        assert signer == r["signer"] and bytes(body) == RC_EAST and Role(roles) & Role.ANCHOR
        at = time.mktime(time.strptime(r["at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        assert at < r["anchorBy"] <= at + 1 + 30 + 2  # the batch interval plus the grace
    reader = read_three["reader"]
    last = read_three["receipts"][-1]
    proof = wait_for(lambda: reader.request("GET", f"/trail/proofs/{last['seq']}"))
    anchored = {a["firstSeq"]: a for a in chain_anchors(api.contracts, RC_EAST)}
    on_chain = anchored[proof["anchor"]["firstSeq"]]
    assert on_chain["lastSeq"] == proof["anchor"]["lastSeq"] and on_chain["root"] == proof["root"]
    assert leaf_root(last["seq"], last["eventHash"], proof["proof"]) == on_chain["root"]
    # someone else's event: refused
    refused(lambda: api.signed_in(AUDITOR - 1).request("GET", f"/trail/proofs/{last['seq']}"), 403, "not_authorized")


def _bundle(api: Api, read_three: dict[str, Any]) -> dict[str, Any]:
    """The resident's bundle once their reads are anchored (waiting on /health: codes are rate-limited)."""

    def anchored() -> None:
        assert api.client().health()["trail"]["anchoredThrough"] >= read_three["receipts"][-1]["seq"]

    wait_for(anchored)
    bundle = api.client().request("POST", "/trail/by-code/bundle", json={"code": read_three["code"]})
    assert all("proof" in e for e in bundle["events"])
    return bundle


def test_trail_bundle_verifies_and_tampering_fails(api: Api, read_three: dict[str, Any]) -> None:
    bundle = _bundle(api, read_three)
    report = verify_trail(bundle, api.contracts)
    assert (report.events, report.anchored, report.pending) == (3, 3, [])
    assert [e["seq"] for e in bundle["events"]] == [r["seq"] for r in read_three["receipts"]]

    def fails(mutate: Any, reason: str) -> None:
        b = copy.deepcopy(bundle)
        mutate(b)
        with pytest.raises(TrailInvalid) as info:
            verify_trail(b, api.contracts)
        assert info.value.reason == reason, info.value.message

    fails(lambda b: b["events"].pop(1), "subject_chain")  # removed from the middle
    fails(lambda b: b["events"].pop(), "head")  # the latest removed
    fails(lambda b: b["events"].pop(0), "subject_chain")  # the first removed

    def altered(b: dict[str, Any]) -> None:
        b["events"][1]["fields"] = ["address", "income_band"]

    fails(altered, "event_hash")

    def altered_consistently(b: dict[str, Any]) -> None:  # the hash recomputed too: the reader's signature fails
        e = b["events"][1]
        e["fields"] = ["address", "income_band"]
        e["eventHash"] = content_hash({k: v for k, v in e.items() if k not in ("request", "eventHash", "proof")})

    fails(altered_consistently, "request")

    def added(b: dict[str, Any]) -> None:  # a forged event appended with a consistent hash and chain link
        e = copy.deepcopy(b["events"][-1])
        e["seq"], e["subjectPrev"] = e["seq"] + 1000, e["seq"]
        e["eventHash"] = content_hash({k: v for k, v in e.items() if k not in ("request", "eventHash", "proof")})
        b["events"].append(e)

    fails(added, "head")

    def added_and_head(b: dict[str, Any]) -> None:  # ... and the head edited to match: its signature fails
        added(b)
        b["head"]["message"].update(lastSeq=b["events"][-1]["seq"], count=4)

    fails(added_and_head, "head")


def test_trail_shows_anchors_and_health_reports_anchoring(api: Api, read_three: dict[str, Any]) -> None:
    _bundle(api, read_three)
    trail = api.client().trail_by_code(read_three["code"])
    assert all(e["anchor"] and e["anchor"]["transactionHash"] for e in trail["events"])
    health = api.client().health()
    assert health["trail"]["anchoredThrough"] >= read_three["receipts"][-1]["seq"]
    assert health["trail"]["consecutiveFailures"] == 0 and health["index"]["lastError"] is None
    metrics = api.client().request("GET", "/metrics")
    assert "ledger_trail_anchored_seq" in metrics and "ledger_trail_unanchored_events" in metrics


def test_audit_endpoint_is_for_auditors_and_reports_in_three_formats(api: Api, read_three: dict[str, Any]) -> None:
    _bundle(api, read_three)
    refused(lambda: api.signed_in(CA_OFFICER).request("POST", "/audit/verify"), 403, "not_authorized")
    auditor = api.signed_in(AUDITOR)
    report = auditor.request("POST", "/audit/verify")
    failed = {c["number"]: c["failures"][:3] for c in report["checks"] if not c["ok"]}
    assert report["ok"], failed
    assert [c["number"] for c in report["checks"]] == [1, 2, 3, 4]
    assert report["events"] >= 3 and all(c["checked"] > 0 for c in report["checks"])
    csv = auditor.request("POST", "/audit/verify", params={"format": "csv"})
    assert csv.splitlines()[0] == "check,title,status,checked,failed,item,message" and ",pass," in csv
    page = auditor.request("POST", "/audit/verify", params={"format": "html"})
    assert '<h1>Civic Ledger audit: <span class="ok">passed</span></h1>' in page
