"""What the portal asks of the API: residents' trails newest first and paged, one event with what
verifies it alone, justification texts kept at the custodian (for the right people, matching the
on-chain hash), the members' directory, the catalogue and the auditors' dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_utils import keccak

from ledger.local.devkeys import dev_account
from ledger.store.trail import content_hash
from ledger.trail.proofs import leaf_root
from tests.api.conftest import Api
from tests.api.test_flows import (
    AUDITOR,
    CA_OFFICER,
    HOUSEHOLD,
    RC_ADMIN,
    RC_OFFICER,
    WEST_ADMIN,
    granted_record,
    national_id,
    refused,
)
from tests.api.test_trail import wait_for


@pytest.fixture(scope="module")
def five_reads(api: Api) -> dict[str, Any]:
    nid, record_id, grant_id, reader = granted_record(api)
    seqs = [reader.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"] for _ in range(5)]
    code = api.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    return {"nid": nid, "record": record_id, "grant": grant_id, "seqs": seqs, "code": code}


def test_a_residents_trail_comes_newest_first_page_by_page(api: Api, five_reads: dict[str, Any]) -> None:
    anyone = api.client()
    first = anyone.request("POST", "/trail/by-code", json={"code": five_reads["code"], "limit": 2})
    assert first["total"] == 5
    assert [e["seq"] for e in first["events"]] == five_reads["seqs"][::-1][:2]
    second = anyone.request(
        "POST", "/trail/by-code", json={"code": five_reads["code"], "limit": 2, "before": first["nextBefore"]}
    )
    third = anyone.request(
        "POST", "/trail/by-code", json={"code": five_reads["code"], "limit": 2, "before": second["nextBefore"]}
    )
    assert [e["seq"] for e in first["events"] + second["events"] + third["events"]] == five_reads["seqs"][::-1]
    assert third["nextBefore"] is None
    # the officer's body names its own staff, at its own node: civil affairs runs none in this system, so
    # rc-east's node shows the body and no name (tests/api/test_node_exchange names them across nodes)
    e = first["events"][0]
    assert (e["readerBody"], e["readerName"], e["readerPost"]) == ("civil-affairs", None, None)


def test_one_event_comes_with_what_verifies_it_against_the_chain(api: Api, five_reads: dict[str, Any]) -> None:
    seq = five_reads["seqs"][0]
    material = wait_for(
        lambda: _anchored(api.client().request("POST", f"/trail/by-code/events/{seq}", json={"code": five_reads["code"]}))
    )
    ev = material["event"]
    content = {k: v for k, v in ev.items() if k not in ("request", "eventHash", "proof")}
    assert content_hash(content) == ev["eventHash"] and ev["seq"] == seq
    anchor = material["anchor"]
    assert leaf_root(seq, ev["eventHash"], ev["proof"]) == anchor["root"]
    head = material["head"]["message"]
    assert (head["subject"], head["count"], head["lastSeq"]) == (ev["subjectId"], 5, five_reads["seqs"][-1])
    # not the resident's event, or another resident's: 404, nothing leaks
    refused(
        lambda: api.client().request("POST", "/trail/by-code/events/999999", json={"code": five_reads["code"]}),
        404,
        "not_found",
    )


def _anchored(material: dict[str, Any]) -> dict[str, Any]:
    assert material["anchor"] is not None
    return material


def test_the_admin_reads_the_justification_and_it_matches_the_hash_on_chain(api: Api) -> None:
    record_id = api.signed_in(RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    reader = api.signed_in(CA_OFFICER)
    why = "Allowance review <b>2026</b> — 复核"
    request_id = reader.request_access(
        scope="record", recordId=record_id, fields=["address"], purpose="subsistence_review", justification=why
    )
    for who in (RC_ADMIN, CA_OFFICER):  # the custodian's admin, the requester
        seen = api.signed_in(who).request("GET", f"/requests/{request_id}")
        text = seen["justification"]
        assert text["text"] == why and text["matches"] is True
        again = "0x" + keccak(bytes.fromhex(text["salt"][2:]) + why.encode()).hex()
        assert again == seen["justificationHash"]
    pending = api.signed_in(RC_ADMIN).request("GET", "/requests", params={"view": "pending"})
    assert next(r for r in pending if r["id"] == request_id)["justification"]["text"] == why
    # a committee officer of the custodian sees the request, but not its reason (admins decide)
    officer_view = api.signed_in(RC_OFFICER).request("GET", f"/requests/{request_id}")
    assert officer_view["justification"] is None and officer_view["justificationHash"]


def test_the_members_directory_is_for_the_bodys_staff_and_admins_describe_their_own(api: Api) -> None:
    admin = api.signed_in(RC_ADMIN)
    members = admin.request("GET", "/bodies/mine/members")
    officer = next(m for m in members if m["account"] == dev_account(RC_OFFICER).address)
    assert officer["roles"] == ["officer"] and (officer["name"], officer["post"]) == ("刘洋", "社区专干")
    admin.request("PUT", f"/bodies/mine/directory/{officer['account']}", json={"post": "Grid worker, cell 7"})
    again = next(m for m in admin.request("GET", "/bodies/mine/members") if m["account"] == officer["account"])
    assert (again["name"], again["post"]) == (None, "Grid worker, cell 7")
    admin.request(
        "PUT", f"/bodies/mine/directory/{officer['account']}", json={"name": "Liu Yang", "post": "Community officer"}
    )
    # another body's admin cannot describe rc-east's staff; an auditor has no member list here
    refused(
        lambda: api.signed_in(WEST_ADMIN).request("PUT", f"/bodies/mine/directory/{officer['account']}", json={"name": "X"}),
        403,
        "not_authorized",
    )
    refused(lambda: api.signed_in(AUDITOR).request("GET", "/bodies/mine/members"), 403, "not_authorized")


def test_the_catalogue_names_categories_fields_and_purposes(api: Api) -> None:
    catalog = api.client().request("GET", "/catalog")
    household = next(c for c in catalog["categories"] if c["code"] == "household")
    assert household["fields"][:2] == ["head_of_household", "address"] and household["requiresConsent"] is False
    assert "subsistence_review" in catalog["purposes"]


def test_the_dashboard_counts_reads_per_body_and_refusals_by_reason(api: Api, five_reads: dict[str, Any]) -> None:
    reader = api.signed_in(CA_OFFICER)
    refused(lambda: reader.read(five_reads["record"], ["phone"], "subsistence_review"), 403, "fields_not_covered")
    board = api.signed_in(AUDITOR).request("GET", "/audit/dashboard", params={"days": 7})
    ca = sum(d["reads"] for d in board["readsPerBodyPerDay"] if d["body"] == "civil-affairs")
    assert ca >= 5
    assert board["denialsByDecision"].get("fields_not_covered", 0) >= 1
    assert set(board["emergencies"]) == {"reviewed", "unreviewed"}
    refused(lambda: api.signed_in(RC_ADMIN).request("GET", "/audit/dashboard"), 403, "not_authorized")


def test_the_last_audit_report_is_there_in_every_format(api: Api) -> None:
    auditor = api.signed_in(AUDITOR)
    report = auditor.request("POST", "/audit/verify")
    assert auditor.request("GET", "/audit/latest")["startedAt"] == report["startedAt"]
    assert auditor.request("GET", "/audit/latest", params={"format": "csv"}).splitlines()[0]
    assert "<html" in auditor.request("GET", "/audit/latest", params={"format": "html"}).lower()


def test_clients_get_every_contracts_address_and_abi(api: Api) -> None:
    listed = {c["name"]: c for c in api.client().request("GET", "/contracts")}
    assert set(listed) >= {"AccessTrail", "AccessRegistry", "BodyRegistry", "RecordRegistry", "CivicForwarder"}
    trail = listed["AccessTrail"]
    assert trail["address"] == api.contracts.trail.handle.address and trail["chainId"] == api.chain.chain_id
    assert any(i.get("name") == "AccessBatchAnchored" for i in trail["abi"])
    # the same files lie beside the manifest, for clients that read them from disk
    on_disk = json.loads((api.settings.manifest_path.parent / "abi" / "AccessTrail.json").read_text())
    assert on_disk["abi"] == trail["abi"] and on_disk["address"] == trail["address"]


def test_a_refused_request_keeps_no_text_behind(api: Api) -> None:
    """The free text is kept only once the chain would accept the call: a refusal leaves nothing."""
    count = lambda: api.sql("SELECT COUNT(*) FROM free_texts")[0][0]  # noqa: E731
    before = count()
    record_id = api.signed_in(RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    refused(
        lambda: api.signed_in(CA_OFFICER).request(
            "POST",
            "/requests",
            json={
                "scope": "record",
                "recordId": record_id,
                "fields": ["address"],
                "purpose": "curiosity",
                "justification": "a text that must not be kept",
            },
        ),
        422,
        "unknown_purpose",
    )
    assert count() == before
    api.signed_in(CA_OFFICER).request_access(
        scope="record",
        recordId=record_id,
        fields=["address"],
        purpose="subsistence_review",
        justification="kept once accepted",
    )
    assert count() == before + 1
