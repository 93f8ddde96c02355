"""A consortium of four bodies' nodes (four API processes, four databases) on one anvil with 1-second
blocks (issue 12): rc-east and rc-west keep records, civil affairs reads them, the auditor audits.

An officer of civil affairs works at their own node only; the custodian's node enforces the grant,
logs the event and answers; the officer's node keeps its own record of the read. The resident sees
every read of their data at their committee's node, merged across the nodes, each part verifying
against the chain; a stopped node is named. The consortium audit gathers every node's signed
self-audit. Nodes authenticate each other with their bodies' on-chain node accounts."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from ledger.chain.deploy import Contracts
from ledger.client.api_client import ApiClient, ApiError
from ledger.commitments.disclosure import verify_bundle
from ledger.config import Settings
from ledger.errors import TrailInvalid
from ledger.ids import code_id
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain, up
from ledger.network.registry import format_endpoint
from ledger.peers.exchange import NodeIdentity, digest
from ledger.trail.merged import verify_consortium_trail
from tests.api.conftest import CODE_ATTEMPTS, CODE_WINDOW, NONCE_ATTEMPTS, TOKEN_SECRET
from tests.api.test_flows import national_id
from tests.portal.conftest import Portal, unlock
from tests.support import free_port, rpc

RC_OFFICER, RC_ADMIN, RC_WEST_OFFICER, RC_WEST_ADMIN, CA_ADMIN, CA_OFFICER, AUDITOR_ADMIN, AUDITOR = (
    6,
    4,
    9,
    7,
    10,
    12,
    16,
    18,
)
RC_NODE, CA_NODE, PS_NODE = 21, 23, 24  # node accounts (ANCHOR role) of rc-east, civil affairs, public security
ADMINS = {"rc-east": RC_ADMIN, "rc-west": RC_WEST_ADMIN, "civil-affairs": CA_ADMIN, "auditor": AUDITOR_ADMIN}
HOUSEHOLD = {
    "head_of_household": "Zhou Min",
    "address": "East Gate Lane 5",
    "members": 3,
    "phone": None,
    "housing_type": "public",
    "income_band": "low",
}
HOUSING = {
    "property_type": "apartment",
    "tenure": "rented",
    "area_m2": 48.0,
    "subsidy": 300,
    "inspection_date": "2026-10-01",
    "notes": None,
}


@dataclass
class Nodes:
    home: Path
    settings: Settings
    contracts: Contracts
    procs: dict[str, ApiProcess]
    urls: dict[str, str]
    env: dict[str, str]

    @property
    def committee_url(self) -> str:
        return self.urls["rc-east"]

    @property
    def department_url(self) -> str:
        return self.urls["civil-affairs"]

    def client(self, url: str, who: int) -> ApiClient:
        c = ApiClient(url, dev_account(who))
        c.login()
        return c

    def rows(self, body: str, query: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.home / "store" / f"{body}.db") as db:
            return db.execute(query).fetchall()

    def restart(self, body: str) -> None:
        self.procs[body].up(int(self.urls[body].rsplit(":", 1)[1]), env=self.env)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    home = tmp_path_factory.mktemp("nodes") / "home"
    settings = Settings(home=home, node_port=free_port())
    up(settings)
    rpc(settings.effective_rpc_url, "evm_setIntervalMining", 1)
    env = {
        **os.environ,
        "LEDGER_HOME": str(home),
        "LEDGER_NODE_PORT": str(settings.node_port),
        "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
        "LEDGER_API_CODE_ATTEMPTS": str(CODE_ATTEMPTS),
        "LEDGER_API_CODE_WINDOW": str(CODE_WINDOW),
        "LEDGER_API_NONCE_ATTEMPTS": str(NONCE_ATTEMPTS),
    }
    env.pop("DATABASE_URL", None)  # each node its own database (SQLite files in <home>/store/)
    procs = {body: ApiProcess(home, body) for body in ADMINS}
    try:
        urls = {body: proc.up(free_port(), env=env).url for body, proc in procs.items()}
        contracts = Contracts.of(open_chain(settings))
        # each body publishes its node's address in the registry, as its admin
        for body, admin in ADMINS.items():
            contracts.bodies.update_profile(
                contracts.chain.direct(dev_account(admin)), b"", format_endpoint(urls[body], None)
            )
        yield Nodes(home, settings, contracts, procs, urls, env)
    finally:
        for proc in procs.values():
            proc.down()
        LocalNode(home).down()


def _granted(pair: Nodes, *, custodian: str = "rc-east", nid: str | None = None) -> tuple[str, ApiClient]:
    """A record at the custodian's node and a grant to civil affairs' officer, who asks through their own
    node (forwarded: the custodian's node prepares it and keeps the justification; the officer's node
    relays the signed transaction); the custodian's admin approves at the custodian's node."""
    officer_of, fields = {"rc-east": (RC_OFFICER, "household"), "rc-west": (RC_WEST_OFFICER, "housing")}[custodian]
    url = pair.urls[custodian]
    record_id = pair.client(url, officer_of).register_record(
        fields, nid or national_id(), HOUSEHOLD if fields == "household" else HOUSING
    )
    wanted = ["address", "income_band"] if fields == "household" else ["tenure", "subsidy"]
    officer = pair.client(pair.department_url, CA_OFFICER)
    request_id = officer.request_access(
        scope="record",
        recordId=record_id,
        fields=wanted,
        purpose="subsistence_review",
        justification="allowance review 2026",
    )
    pair.client(url, ADMINS[custodian]).approve(request_id, days=30)
    time.sleep(1.0)  # the department's node follows the head every 0.25 s
    return record_id, officer


def test_an_officer_reads_another_bodys_record_through_their_own_node(pair: Nodes) -> None:
    record_id, officer = _granted(pair)
    typed = officer.prepare_read(record_id, ["address", "income_band"], "subsistence_review")  # forwarded
    assert typed["message"]["custodian"] == "0x" + code_id("rc-east").hex()
    answer = officer.submit_read(typed, officer.sign_typed(typed))  # forwarded, served by the committee's node
    # the disclosure verifies against the chain
    assert verify_bundle(answer["bundle"], pair.contracts).fields == {"address": "East Gate Lane 5", "income_band": "low"}
    receipt = answer["receipt"]
    # the custodian logged the event; the reader's node kept its side, with the custodian's receipt
    event = pair.rows(
        "rc-east", f"SELECT reader, request_digest, event_hash FROM access_events WHERE seq = {receipt['seq']}"
    )[0]
    assert event[0] == dev_account(CA_OFFICER).address and event[2] == receipt["eventHash"]
    fetched = pair.rows("civil-affairs", "SELECT request_digest, seq, event_hash, custodian, receipt FROM fetched_reads")
    assert (event[1], receipt["seq"], receipt["eventHash"], receipt["custodian"]) in [f[:4] for f in fetched]
    assert pair.rows("civil-affairs", "SELECT COUNT(*) FROM access_events") == [(0,)]  # no event of its own
    # the request's justification is kept by the custodian, for its admins, and not at the asking node
    author = dev_account(CA_OFFICER).address
    assert pair.rows("rc-east", f"SELECT COUNT(*) FROM free_texts WHERE author = '{author}'")[0][0] >= 1
    assert pair.rows("civil-affairs", "SELECT COUNT(*) FROM free_texts") == [(0,)]
    seen = pair.client(pair.committee_url, RC_ADMIN).request("GET", "/requests", params={"view": "all"})
    justifications = [r["justification"] for r in seen if r["requester"] == author]
    assert justifications and all(j["text"] == "allowance review 2026" and j["matches"] for j in justifications)
    # a replay of the same signed read through the officer's node is refused by the custodian
    with pytest.raises(ApiError) as replay:
        officer.submit_read(typed, officer.sign_typed(typed))
    assert replay.value.status == 409


def _node_post(pair: Nodes, path: str, payload: Any, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        pair.committee_url + path,
        content=json.dumps(payload, separators=(",", ":")).encode(),
        headers={"Content-Type": "application/json", **headers},
        timeout=30,
    )


def _identity(pair: Nodes, who: int, body: str) -> NodeIdentity:
    return NodeIdentity(
        code_id(body), bytes(dev_account(who).key), pair.contracts.chain.chain_id, pair.contracts.bodies.handle.address
    )


def test_node_requests_unsigned_forged_stale_or_replayed_are_refused(pair: Nodes) -> None:
    record_id, _officer = _granted(pair)
    payload = {
        "recordId": record_id,
        "fields": ["address"],
        "purpose": "subsistence_review",
        "reader": dev_account(CA_OFFICER).address,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    path, to = "/node/reads/prepare", code_id("rc-east")

    def refused(headers: dict[str, str], reason: str) -> None:
        r = _node_post(pair, path, payload, headers)
        assert r.status_code == 401 and r.json()["code"] == "node_unauthenticated", r.text
        assert r.json()["reason"] == reason, r.text

    refused({}, "unsigned")
    # civil affairs' officer is a member, but not its node account; public security's node is not civil affairs'
    refused(_identity(pair, CA_OFFICER, "civil-affairs").headers(to, "POST", path, raw), "signer")
    refused(_identity(pair, PS_NODE, "civil-affairs").headers(to, "POST", path, raw), "signer")
    # signed for another body's node, or over another body of the request
    refused(_identity(pair, CA_NODE, "civil-affairs").headers(code_id("rc-west"), "POST", path, raw), "signer")
    refused(_identity(pair, CA_NODE, "civil-affairs").headers(to, "POST", path, raw + b" "), "signer")
    # signed ten minutes ago
    old = int(time.time()) - 600
    nonce = os.urandom(32)
    d = digest(
        chain_id=pair.contracts.chain.chain_id,
        registry=pair.contracts.bodies.handle.address,
        from_body=code_id("civil-affairs"),
        to_body=to,
        method="POST",
        path=path,
        body=raw,
        nonce=nonce,
        issued_at=old,
    )
    sig = dev_account(CA_NODE).unsafe_sign_hash(d)
    refused(
        {
            "X-Node-From": "0x" + code_id("civil-affairs").hex(),
            "X-Node-Nonce": "0x" + nonce.hex(),
            "X-Node-Issued-At": str(old),
            "X-Node-Signature": sig.signature.to_0x_hex(),
        },
        "stale",
    )
    # the node account's own request passes once; the same request again is a replay
    good = _identity(pair, CA_NODE, "civil-affairs").headers(to, "POST", path, raw)
    first = _node_post(pair, path, payload, good)
    assert first.status_code == 200 and first.json()["typedData"]["message"]["recordId"] == record_id
    refused(good, "replay")
    # a node may ask only for its own body's members
    other = {**payload, "reader": dev_account(RC_WEST_ADMIN).address}
    r = _node_post(
        pair,
        path,
        other,
        _identity(pair, CA_NODE, "civil-affairs").headers(
            to, "POST", path, json.dumps(other, separators=(",", ":")).encode()
        ),
    )
    assert r.status_code == 403 and r.json()["error"] == "NotMemberOfCaller"


def _as_node(pair: Nodes, to: str, path: str, payload: Any, who: int, body: str) -> httpx.Response:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return httpx.post(
        pair.urls[to] + path,
        content=raw,
        timeout=60,
        headers={"Content-Type": "application/json", **_identity(pair, who, body).headers(code_id(to), "POST", path, raw)},
    )


def test_a_residents_trail_and_the_audit_are_answered_only_to_a_committee_and_the_auditor(pair: Nodes) -> None:
    subject = {"subjectId": "0x" + "22" * 32}
    # a department's node may not ask for a resident's trail; a committee's node may
    r = _as_node(pair, "rc-west", "/node/trail", subject, CA_NODE, "civil-affairs")
    assert r.status_code == 403 and r.json()["error"] == "WrongBodyKind", r.text
    r = _as_node(pair, "rc-west", "/node/trail", subject, RC_NODE, "rc-east")  # a committee, not the resident's
    assert r.status_code == 403 and r.json()["error"] == "NotResidentsCommittee", r.text
    # only the auditor's node may ask a node to audit itself
    r = _as_node(pair, "civil-affairs", "/node/audit", {"request": "0x" + "33" * 32}, RC_NODE, "rc-east")
    assert r.status_code == 403 and r.json()["error"] == "WrongBodyKind", r.text
    # nor for a node's dashboard figures
    r = _as_node(pair, "civil-affairs", "/node/dashboard", {"days": 14}, RC_NODE, "rc-east")
    assert r.status_code == 403 and r.json()["error"] == "WrongBodyKind", r.text


def _wait_anchored(pair: Nodes, code: str, events: int, timeout: float = 60) -> dict[str, Any]:
    """The resident's consortium bundle once every event in it is anchored."""
    deadline = time.monotonic() + timeout
    while True:
        doc = ApiClient(pair.committee_url).request("POST", "/trail/by-code/consortium/bundle", json={"code": code})
        found = [e for p in doc["parts"] if p["bundle"] for e in p["bundle"]["events"]]
        if len(found) == events and all(e["proof"] is not None for e in found):
            return doc
        assert time.monotonic() < deadline, f"not anchored in {timeout} s: {found}"
        time.sleep(1)


def test_four_nodes_request_approve_read_trail_across_nodes_and_audit(pair: Nodes, tmp_path: Path) -> None:
    nid = national_id()
    # civil affairs' officer, through their own node only, reads the resident's records at both committees
    east, officer = _granted(pair, custodian="rc-east", nid=nid)
    west, _ = _granted(pair, custodian="rc-west", nid=nid)
    read_east = officer.read(east, ["address", "income_band"], "subsistence_review")
    read_west = officer.read(west, ["tenure", "subsidy"], "subsistence_review")
    assert verify_bundle(read_west["bundle"], pair.contracts).fields == {"tenure": "rented", "subsidy": 300}
    # both sides of each exchange: the custodians' events, the reader's node's record of what it fetched
    for body, answer in (("rc-east", read_east), ("rc-west", read_west)):
        seq = answer["receipt"]["seq"]
        assert pair.rows(body, f"SELECT event_hash FROM access_events WHERE seq = {seq}") == [
            (answer["receipt"]["eventHash"],)
        ]
    fetched = {(r[0], r[1]) for r in pair.rows("civil-affairs", "SELECT custodian, event_hash FROM fetched_reads")}
    assert {
        ("0x" + code_id(b).hex(), a["receipt"]["eventHash"]) for b, a in (("rc-east", read_east), ("rc-west", read_west))
    } <= fetched
    # the resident, with the code their committee issued, sees both reads at the committee's node
    code = pair.client(pair.committee_url, RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    resident = ApiClient(pair.committee_url)
    trail = resident.request("POST", "/trail/by-code/consortium", json={"code": code})
    assert [(e["custodian"], e["recordId"]) for e in trail["events"]] == [("rc-west", west), ("rc-east", east)]
    # named by civil affairs' node, which rc-east's and rc-west's nodes asked (each body names its own staff)
    assert all(e["readerName"] == "王芳" and e["readerBody"] == "civil-affairs" for e in trail["events"])
    status = {p["custodian"]: p["status"] for p in trail["parts"]}
    assert status == {
        "rc-east": "answered",
        "rc-west": "answered",
        "civil-affairs": "answered",
        "auditor": "answered",
        "subdistrict": "no_node",
        "public-security": "no_node",
        "procuratorate": "no_node",
    }
    assert trail["complete"] is True
    # each part verifies against the chain alone, with the command a resident would run
    doc = _wait_anchored(pair, code, events=2)
    report = verify_consortium_trail(doc, pair.contracts)
    assert (report["events"], report["complete"], report["notAnswered"]) == (2, True, [])
    saved = tmp_path / "trail.json"
    saved.write_text(json.dumps(doc))
    cli = subprocess.run(
        [
            str(Path(sys.executable).with_name("ledger")),
            "verify",
            "trail",
            str(saved),
            "--rpc",
            pair.settings.effective_rpc_url,
        ],
        capture_output=True,
        text=True,
        env=pair.env,
        timeout=120,
    )
    assert cli.returncode == 0 and json.loads(cli.stdout)["events"] == 2, cli.stderr
    # a part left out, or an event changed in one, does not verify
    dropped = {**doc, "parts": [p for p in doc["parts"] if p["custodian"] != "rc-west"]}
    with pytest.raises(TrailInvalid) as left_out:
        verify_consortium_trail(dropped, pair.contracts)
    assert left_out.value.reason == "missing_part" and "rc-west" in left_out.value.message
    edited = copy.deepcopy(doc)
    next(p for p in edited["parts"] if p["custodian"] == "rc-west")["bundle"]["events"][0]["purpose"] = "statistics"
    with pytest.raises(TrailInvalid) as changed:
        verify_consortium_trail(edited, pair.contracts)
    assert changed.value.reason == "event_hash" and "rc-west" in changed.value.message
    # the consortium audit, at the auditor's node: every node audits itself; all pass
    auditor = pair.client(pair.urls["auditor"], AUDITOR)
    audit = auditor.request("POST", "/audit/consortium")
    results = {b["body"]: b["status"] for b in audit["bodies"]}
    assert audit["ok"] is True, audit
    assert results == {
        "rc-east": "passed",
        "rc-west": "passed",
        "civil-affairs": "passed",
        "auditor": "passed",
        "subdistrict": "no_node",
        "public-security": "no_node",
        "procuratorate": "no_node",
    }
    # ... and fails when one node's database is tampered with
    seq = read_east["receipt"]["seq"]
    with sqlite3.connect(pair.home / "store" / "rc-east.db") as db:
        db.execute(f"UPDATE access_events SET purpose = 'statistics' WHERE seq = {seq}")
    try:
        audit = auditor.request("POST", "/audit/consortium")
        east_part = next(b for b in audit["bodies"] if b["body"] == "rc-east")
        assert audit["ok"] is False and east_part["status"] == "failed"
        assert any(p["code"] == "check_failed" and p["vars"]["number"] == 3 for p in east_part["problems"]), east_part
        assert all(b["status"] in ("passed", "no_node") for b in audit["bodies"] if b["body"] != "rc-east")
    finally:
        with sqlite3.connect(pair.home / "store" / "rc-east.db") as db:
            db.execute(f"UPDATE access_events SET purpose = 'subsistence_review' WHERE seq = {seq}")
    # with rc-west's node stopped: reads of its records fail with 503; the merged trail names it
    pair.procs["rc-west"].down()
    try:
        with pytest.raises(ApiError) as down:
            officer.prepare_read(west, ["tenure"], "subsistence_review")
        assert down.value.status == 503 and down.value.body["code"] == "node_unavailable"
        assert "rc-west" in down.value.body["message"]
        assert (
            officer.read(east, ["address"], "subsistence_review")["receipt"]["custodian"] == "0x" + code_id("rc-east").hex()
        )  # nothing else stops
        assert httpx.get(pair.department_url + "/health", timeout=10).status_code == 200
        trail = resident.request("POST", "/trail/by-code/consortium", json={"code": code})
        west_part = next(p for p in trail["parts"] if p["custodian"] == "rc-west")
        assert trail["complete"] is False and west_part["status"] == "unreachable" and "rc-west" in west_part["error"]
        assert {e["custodian"] for e in trail["events"]} == {"rc-east"}
        partial = resident.request("POST", "/trail/by-code/consortium/bundle", json={"code": code})
        assert verify_consortium_trail(partial, pair.contracts)["notAnswered"] == ["rc-west"]
        audit = auditor.request("POST", "/audit/consortium")
        assert audit["ok"] is False
        assert next(b for b in audit["bodies"] if b["body"] == "rc-west")["status"] == "unreachable"
    finally:
        pair.restart("rc-west")


def _pending(admin: ApiClient, request_id: int, timeout: float = 10) -> dict[str, Any]:
    """The request among those pending at the admin's node, once its chain index has it (it follows the head)."""
    deadline = time.monotonic() + timeout
    while True:
        found = {r["id"]: r for r in admin.request("GET", "/requests", params={"view": "pending"})}
        if request_id in found or time.monotonic() > deadline:
            return found[request_id]
        time.sleep(0.25)


HEALTH = {
    "conditions": ["asthma"],
    "medications": None,
    "disability_level": 0,
    "doctor": "Dr. Qian",
    "insurance_no": "INS-0001",
    "notes": None,
}


def test_a_category_request_agreement_and_consent_that_concern_another_body_go_through_own_nodes(pair: Nodes) -> None:
    nid = national_id()
    record_id = pair.client(pair.urls["rc-west"], RC_WEST_OFFICER).register_record("health", nid, HEALTH)
    officer = pair.client(pair.department_url, CA_OFFICER)
    # a resident's records of a category at rc-west, asked through civil affairs' own node
    request_id = officer.request_access(
        scope="subject_category",
        nationalId=nid,
        category="health",
        custodian="rc-west",
        fields=["conditions"],
        purpose="subsistence_review",
        justification="disability allowance check",
    )
    west_admin = pair.client(pair.urls["rc-west"], RC_WEST_ADMIN)
    pending = _pending(west_admin, request_id)
    assert pending["justification"]["text"] == "disability allowance check"
    grant_id = west_admin.approve(request_id, days=30)
    time.sleep(1.0)
    with pytest.raises(ApiError) as no_consent:  # health needs the resident's consent
        officer.read(record_id, ["conditions"], "subsistence_review")
    assert no_consent.value.status == 403 and no_consent.value.body["code"] == "consent_missing"
    # rc-west registered the resident first, so it is their committee: rc-east does not act for them ...
    east_officer = pair.client(pair.committee_url, RC_OFFICER)
    for path, payload in (
        ("/trail/codes", {"nationalId": nid}),
        ("/residents", {"account": Account.create().address, "nationalId": nid}),
        ("/consent", {"grantId": grant_id, "given": True, "nationalId": nid, "evidence": "a form rc-east does not hold"}),
    ):
        with pytest.raises(ApiError) as not_theirs:
            east_officer.request("POST", path, json=payload)
        assert not_theirs.value.status == 403 and not_theirs.value.body["error"] == "NotResidentsCommittee"
    # ... the resident, at their own committee's node, sees the grant waiting for them ...
    west_officer = pair.client(pair.urls["rc-west"], RC_WEST_OFFICER)
    code = west_officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    waiting = ApiClient(pair.urls["rc-west"]).request("POST", "/trail/by-code/consents", json={"code": code})
    assert [(g["id"], g["custodian"]) for g in waiting] == [(grant_id, "rc-west")]
    # ... and, with their own key linked there, consents there
    resident = Account.create()
    west_officer.act("POST", "/residents", {"account": resident.address, "nationalId": nid})
    mine = ApiClient(pair.urls["rc-west"], resident)
    mine.login()
    with pytest.raises(ApiError) as not_theirs:  # nor may rc-east unlink it, at its own node
        east_officer.request("DELETE", f"/residents/{resident.address}")
    assert not_theirs.value.status == 403 and not_theirs.value.body["error"] == "NotResidentsCommittee"
    mine.act("POST", "/consent", {"grantId": grant_id, "given": True})
    time.sleep(1.0)
    read = officer.read(record_id, ["conditions"], "subsistence_review")
    assert verify_bundle(read["bundle"], pair.contracts).fields == {"conditions": ["asthma"]}
    # signed in with that key at their committee's node, the resident sees the read at rc-west's node; not at
    # another committee's
    trail = mine.request("GET", "/trail/mine/consortium")
    assert [(e["custodian"], e["recordId"], e["readerBody"]) for e in trail["events"]] == [
        ("rc-west", record_id, "civil-affairs")
    ]
    at_east = ApiClient(pair.committee_url, resident)
    at_east.login()
    with pytest.raises(ApiError) as not_their_committee:
        at_east.request("GET", "/trail/mine/consortium")
    assert not_their_committee.value.body["error"] == "NotResidentsCommittee"
    # a department's node does not gather residents' trails: it says where to look
    elsewhere = ApiClient(pair.department_url, resident)
    elsewhere.login()
    with pytest.raises(ApiError) as not_there:
        elsewhere.request("GET", "/trail/mine/consortium")
    assert not_there.value.status == 403 and not_there.value.body["error"] == "NotCommitteeNode"
    # a standing agreement asked of rc-west by civil affairs' admin, through their own node
    admin = pair.client(pair.department_url, CA_ADMIN)
    asked = admin.act(
        "POST",
        "/agreements",
        {
            "custodian": "rc-west",
            "category": "housing",
            "fields": ["tenure"],
            "purpose": "housing_assistance",
            "justification": "housing survey",
        },
    )
    agreement = int(ApiClient.event_arg(asked, "AccessRequested", "requestId"))
    pending = _pending(west_admin, agreement)
    assert pending["scope"] == "agreement" and pending["requesterBody"] == "civil-affairs"
    assert pending["justification"]["text"] == "housing survey"
    # an unknown body is a clear 404, asked of nobody
    with pytest.raises(ApiError) as unknown:
        officer.request(
            "POST",
            "/requests",
            json={
                "scope": "subject_category",
                "nationalId": nid,
                "category": "health",
                "custodian": "no-such-body",
                "fields": ["conditions"],
                "purpose": "subsistence_review",
                "justification": "x" * 5,
            },
        )
    assert unknown.value.status == 404 and unknown.value.body["error"] == "NoSuchBody"


def test_the_residents_portal_page_shows_reads_at_every_node_and_names_a_stopped_one(pair: Nodes, browser: Any) -> None:
    nid = national_id()
    east, officer = _granted(pair, custodian="rc-east", nid=nid)  # rc-east first: the resident's committee
    west, _ = _granted(pair, custodian="rc-west", nid=nid)
    officer.read(west, ["tenure", "subsidy"], "subsistence_review")
    officer.read(east, ["address"], "subsistence_review")
    code = pair.client(pair.committee_url, RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    _wait_anchored(pair, code, events=2)
    portal = Portal(pair.committee_url, pair.home / "keystores", browser)
    page = portal.page(width=360, height=780)

    def sign_in() -> None:
        page.goto(pair.committee_url + "/resident")
        if page.wait_for_selector("#code, ol.events > li").get_attribute("id") == "code":  # else: the tab's session
            page.fill("#code", code)
            page.keyboard.press("Enter")
        page.wait_for_selector("ol.events > li")

    # at their committee's portal, the resident sees the read at rc-west's node beside the one at rc-east's
    sign_in()
    assert page.locator("ol.events > li").count() == 2
    there = page.locator("ol.events > li[data-custodian='rc-west']")
    assert "West Lake Residents' Committee" in there.inner_text() and "Wang Fang" in there.inner_text()
    there.locator("button[data-seq]").click()  # verified in the browser against the chain, from rc-west's bundle
    there.locator("ul.checks").wait_for()
    assert there.locator("ul.checks li.pass").count() == 4 and there.locator("li.fail").count() == 0
    portal.shot(page, "resident-consortium-phone-en")
    assert page.errors == []  # type: ignore[attr-defined]
    pair.procs["rc-west"].down()
    try:
        sign_in()
        named = page.wait_for_selector("#unreachable").inner_text()
        assert "Not reachable right now: West Lake Residents' Committee" in named
        assert [li.get_attribute("data-custodian") for li in page.locator("ol.events > li").all()] == ["rc-east"]
        portal.shot(page, "resident-node-down-phone-en")
    finally:
        pair.restart("rc-west")


def test_the_auditor_audits_every_node_from_the_portal_of_the_auditors_node(pair: Nodes, browser: Any) -> None:
    record_id, officer = _granted(pair)
    seq = officer.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"]
    portal = Portal(pair.urls["auditor"], pair.home / "keystores", browser)
    page = portal.page()
    portal.sign_in(page, "/auditor", "auditor-auditor.json")
    # the auditor's own node keeps no reads, but its dashboard is the consortium's: rc-east's reads are there
    east = page.locator("#bodies-h >> xpath=.. >> tr[data-body='rc-east']")
    east.wait_for()
    assert east.get_attribute("data-status") == "answered" and int(east.locator("td").nth(1).inner_text()) >= 1
    assert "No reads" not in str(page.evaluate("document.body.innerText"))
    page.locator("#run-consortium").click()
    result = page.wait_for_selector("#consortium-result", timeout=180_000)
    assert "Every node passed" in result.inner_text(), result.inner_text()
    rows = page.locator("#consortium-result tr[data-body]").all()
    assert {r.get_attribute("data-body"): r.get_attribute("data-status") for r in rows} == {
        "rc-east": "passed",
        "rc-west": "passed",
        "civil-affairs": "passed",
        "auditor": "passed",
        "subdistrict": "no_node",
        "public-security": "no_node",
        "procuratorate": "no_node",
    }
    # a node that keeps nothing passes because there is nothing to check, and says so
    assert "nothing to audit yet" in page.locator("#consortium-result tr[data-body='civil-affairs']").inner_text()
    portal.shot(page, "auditor-consortium-en")
    assert page.errors == []  # type: ignore[attr-defined]
    # a tampered entry at rc-east: the problem in the auditor's language, with the entry it concerns
    with sqlite3.connect(pair.home / "store" / "rc-east.db") as db:
        db.execute("UPDATE access_events SET purpose = 'statistics' WHERE seq = ?", (seq,))
    try:
        zh = portal.page(lang="zh-CN", width=360, height=780)  # on a phone: the tables fit, rows stacked
        portal.sign_in(zh, "/auditor", "auditor-auditor.json")
        zh.locator("#run-consortium").click()
        failed = zh.wait_for_selector("#consortium-result tr[data-body='rc-east'][data-status='failed']", timeout=180_000)
        assert f"第 {seq} 条访问记录：写入后内容被改动" in failed.inner_text()
        assert not re.search(r"[A-Za-z]{4,}", failed.inner_text()), failed.inner_text()  # no English inside
        assert zh.evaluate("document.documentElement.scrollWidth") <= 360
        portal.shot(zh, "auditor-consortium-failed-phone-zh-CN")
        with zh.expect_download() as got:
            zh.locator("button[data-consortium-format='csv']").click()
        rows = Path(got.value.path()).read_text().splitlines()
        assert rows[0] == "body,status,records,events,problem,message"
        assert any(r.startswith("rc-east,failed,,,check_failed,") for r in rows), rows
        assert zh.errors == []  # type: ignore[attr-defined]
    finally:
        with sqlite3.connect(pair.home / "store" / "rc-east.db") as db:
            db.execute("UPDATE access_events SET purpose = 'subsistence_review' WHERE seq = ?", (seq,))
    # at another body's node, the same auditor is told where this audit runs
    elsewhere = portal.page()
    Portal(pair.committee_url, pair.home / "keystores", browser).sign_in(elsewhere, "/auditor", "auditor-auditor.json")
    assert "runs at the auditor's own node" in elsewhere.wait_for_selector("#consortium-h >> xpath=..").inner_text()
    for method, path in (("POST", "/audit/consortium"), ("GET", "/audit/dashboard/consortium")):
        with pytest.raises(ApiError) as refused:
            pair.client(pair.committee_url, AUDITOR).request(method, path)
        assert refused.value.status == 403 and refused.value.body["error"] == "NotAuditorsNode", path
    with pytest.raises(ApiError) as refused:  # and only auditors, at the auditor's node too
        pair.client(pair.urls["auditor"], AUDITOR_ADMIN).request("GET", "/audit/dashboard/consortium")
    assert refused.value.status == 403


ELDERLY = {
    "care_level": 3,
    "caregiver": None,
    "living_alone": True,
    "services": ["visits"],
    "emergency_contact": "+86 10 5550 0199",
    "notes": None,
}


def test_an_emergency_read_of_another_bodys_record_is_found_declared_and_read_through_own_node(pair: Nodes) -> None:
    # public security's node joins for this test (its admin publishes it), and leaves after
    security = ApiProcess(pair.home, "public-security")
    url = security.up(free_port(), env=pair.env).url
    ps_admin = pair.contracts.chain.direct(dev_account(13))
    pair.contracts.bodies.update_profile(ps_admin, b"", format_endpoint(url, None))
    try:
        nid = national_id()
        record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("elderly_care", nid, ELDERLY)
        officer = pair.client(url, 15)  # a community police officer with the emergency role, at their own node
        found = officer.request("POST", "/records/search", json={"nationalId": nid})
        assert [(r["recordId"], r["custodian"], r["category"]) for r in found] == [
            (record_id, "rc-east", "elderly_care")
        ]  # kept by rc-east, found from the chain
        emergency = officer.declare_emergency(record_id, ["care_level", "emergency_contact"], "fell at home, alone")
        time.sleep(1.0)
        answer = officer.read(record_id, ["care_level", "emergency_contact"], "emergency_response", emergency_id=emergency)
        assert verify_bundle(answer["bundle"], pair.contracts).fields["care_level"] == 3
        # the committee's admin reviews it at their node, where the reason's text was kept
        listed = pair.client(pair.committee_url, RC_ADMIN).request("GET", "/emergencies", params={"unreviewed": True})
        mine = next(e for e in listed if e["id"] == emergency)
        assert mine["readerBody"] == "public-security" and mine["reason"]["text"] == "fell at home, alone"
        assert mine["reason"]["matches"] is True
    finally:
        pair.contracts.bodies.update_profile(ps_admin, b"", "")
        security.down()


RC_WEST_NODE = 22  # rc-west's node account (ANCHOR role)


def test_another_committee_or_a_department_issuing_a_code_or_gathering_a_trail_is_refused(pair: Nodes) -> None:
    nid = national_id()
    record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("household", nid, HOUSEHOLD)
    time.sleep(1.0)
    for url, who in ((pair.urls["rc-west"], RC_WEST_OFFICER), (pair.department_url, CA_OFFICER)):
        with pytest.raises(ApiError) as refused:
            pair.client(url, who).request("POST", "/trail/codes", json={"nationalId": nid})
        assert refused.value.status == 403 and refused.value.body["error"] == "NotResidentsCommittee"
    # another committee's node asking a node for this resident's reads is refused there; their own is answered
    subject = {"subjectId": "0x" + pair.contracts.records.get_record(bytes.fromhex(record_id[2:])).subject.hex()}
    r = _as_node(pair, "civil-affairs", "/node/trail", subject, RC_WEST_NODE, "rc-west")
    assert r.status_code == 403 and r.json()["error"] == "NotResidentsCommittee", r.text
    assert _as_node(pair, "civil-affairs", "/node/trail", subject, RC_NODE, "rc-east").status_code == 200
    # the resident's own committee issues it
    assert pair.client(pair.committee_url, RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})


def test_a_resident_moves_between_committees_and_the_new_one_acts_for_them(pair: Nodes) -> None:
    nid = national_id()
    pair.client(pair.committee_url, RC_OFFICER).register_record("household", nid, HOUSEHOLD)
    time.sleep(1.0)
    old_code = pair.client(pair.committee_url, RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    east_admin, west_admin = pair.client(pair.committee_url, RC_ADMIN), pair.client(pair.urls["rc-west"], RC_WEST_ADMIN)
    with pytest.raises(ApiError) as officer_only:  # an officer may not move a resident
        pair.client(pair.committee_url, RC_OFFICER).request(
            "POST", "/residents/transfer", json={"nationalId": nid, "to": "rc-west"}
        )
    assert officer_only.value.status == 403
    east_admin.act("POST", "/residents/transfer", {"nationalId": nid, "to": "rc-west"})
    half = east_admin.request("POST", "/residents/lookup", json={"nationalId": nid})
    assert (half["committee"], half["transferTo"]) == ("rc-east", "rc-west")
    west_admin.act("POST", "/residents/transfer", {"nationalId": nid, "to": "rc-west"})
    moved = west_admin.request("POST", "/residents/lookup", json={"nationalId": nid})
    assert (moved["committee"], moved["transferTo"]) == ("rc-west", None)
    assert [m["committee"] for m in moved["history"]] == ["rc-east", "rc-west"]
    time.sleep(1.0)
    # the old committee's code no longer opens the trail; the new committee issues one, at its node
    with pytest.raises(ApiError) as old:
        ApiClient(pair.committee_url).request("POST", "/trail/by-code", json={"code": old_code})
    assert old.value.status == 403 and old.value.body["error"] == "NotResidentsCommittee"
    with pytest.raises(ApiError) as not_theirs:
        pair.client(pair.committee_url, RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})
    assert not_theirs.value.body["error"] == "NotResidentsCommittee"
    code = pair.client(pair.urls["rc-west"], RC_WEST_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})[
        "code"
    ]
    trail = ApiClient(pair.urls["rc-west"]).request("POST", "/trail/by-code/consortium", json={"code": code})
    assert {p["custodian"]: p["status"] for p in trail["parts"]}["rc-east"] == "answered"


def test_an_officer_follows_and_reads_her_grants_at_every_custodian_from_her_own_node(pair: Nodes, browser: Any) -> None:
    """Civil affairs' officer, signed in at civil affairs' own node: her request to rc-east shows its end
    date and a Read that works from there; a new request and its approval appear without a reload; a
    reload in the same tab asks for the password alone."""
    record_id, officer = _granted(pair, custodian="rc-east")
    [granted] = [q for q in officer.request("GET", "/requests?view=mine") if q["recordId"] == record_id]
    portal = Portal(pair.department_url, pair.home / "keystores", browser)
    page = portal.page()
    portal.sign_in(page, "/officer", "civil-affairs-officer.json")
    row = page.locator(f"#mine tr[data-request='{granted['id']}']")
    row.wait_for()
    assert row.get_attribute("data-state") == "active"
    assert "East Gate Residents' Committee" in row.inner_text() and "until" in row.inner_text()
    row.locator("button[data-grant]").click()
    result = page.wait_for_selector("#read-result")
    assert result.inner_text().count("matches the ledger") == 2  # address and income band, verified here
    assert page.locator("#code-h").count() == 0  # a department's officer is never offered residents' access codes
    assert page.errors == []  # type: ignore[attr-defined]

    # a new request made elsewhere (her CLI), then approved at rc-east: the page follows without a reload
    other = pair.client(pair.committee_url, RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    asked = officer.request_access(
        scope="record", recordId=other, fields=["address"], purpose="subsistence_review", justification="re-check 2026"
    )
    page.wait_for_selector(f"#mine tr[data-request='{asked}'][data-state='pending']", timeout=30_000)
    pair.client(pair.committee_url, RC_ADMIN).approve(asked, days=7)
    page.wait_for_selector(f"#mine tr[data-request='{asked}'][data-state='active']", timeout=30_000)
    portal.shot(page, "officer-own-node-en")

    # a reload keeps her signed in; the key file is kept for the tab, locked: the password alone unlocks it
    page.reload()
    page.wait_for_selector("#password")
    assert page.locator("#keystore").count() == 0
    page.fill("#password", "demo")
    page.locator("form:has(#password) button[type=submit]").click()
    page.locator(f"#mine tr[data-request='{asked}'] button[data-grant]").click()
    assert page.wait_for_selector("#read-result").inner_text().count("matches the ledger") == 1
    kept = page.evaluate("sessionStorage.getItem('cl.keystore')")
    assert json.loads(kept)["crypto"]["kdf"] == "scrypt"  # the file as issued: encrypted, never the key
    key = Account.decrypt(json.loads(kept), "demo").hex()
    assert key.removeprefix("0x") not in json.dumps(page.evaluate("({...sessionStorage, ...localStorage})"))
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_selector("#keystore")
    assert page.evaluate("sessionStorage.length") == 0
    assert page.errors == []  # type: ignore[attr-defined]


def test_each_body_names_its_own_staff_and_only_them_node_to_node(pair: Nodes) -> None:
    asked = {"accounts": [dev_account(RC_OFFICER).address, dev_account(CA_OFFICER).address]}
    # civil affairs' node asks rc-east's: only rc-east's member is named, from rc-east's directory
    r = _as_node(pair, "rc-east", "/node/people", asked, CA_NODE, "civil-affairs")
    assert r.status_code == 200, r.text
    assert r.json()["people"] == [{"account": dev_account(RC_OFFICER).address, "name": "刘洋", "post": "社区专干"}]
    # a person, or anyone without a node's signature, is not answered
    unsigned = httpx.post(pair.committee_url + "/node/people", json=asked, timeout=30)
    assert unsigned.status_code == 401
    # the admin deciding at rc-east sees who asks, as civil affairs' node names her
    record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    officer = pair.client(pair.department_url, CA_OFFICER)
    asked_id = officer.request_access(
        scope="record", recordId=record_id, fields=["address"], purpose="subsistence_review", justification="check"
    )
    pending = _pending(pair.client(pair.committee_url, RC_ADMIN), asked_id)
    assert (pending["requesterBody"], pending["requesterName"], pending["requesterPost"]) == (
        "civil-affairs",
        "王芳",
        "低保专干",
    )


def test_the_admin_sees_who_asks_in_words_in_both_languages(pair: Nodes, browser: Any) -> None:
    record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    asked = pair.client(pair.department_url, CA_OFFICER).request_access(
        scope="record", recordId=record_id, fields=["address"], purpose="subsistence_review", justification="check"
    )
    _pending(pair.client(pair.committee_url, RC_ADMIN), asked)
    portal = Portal(pair.committee_url, pair.home / "keystores", browser)
    for lang, named in (("en", "Wang Fang (Subsistence caseworker)"), ("zh-CN", "王芳（低保专干）")):
        page = portal.page(lang=lang)
        portal.sign_in(page, "/admin", "rc-east-admin.json")
        item = page.locator(f"li[data-request='{asked}']")
        item.wait_for()
        assert named in item.inner_text()
        text = str(page.evaluate("document.body.innerText"))
        assert not re.search(r"0x[0-9a-fA-F]{40}", text), "an account shown as hex outside its details"
        assert ("Chen Li" if lang == "en" else "陈丽") in page.locator("main .lead").first.inner_text()
        portal.shot(page, f"admin-requester-{lang}")
        assert page.errors == []  # type: ignore[attr-defined]


def _follows(url: str, block: int, timeout: float = 15.0) -> None:
    """Waits until the node at ``url`` follows block ``block`` (it polls the chain's head)."""
    deadline = time.monotonic() + timeout
    while (httpx.get(url + "/health", timeout=5).json()["chain"].get("head") or 0) < block:
        assert time.monotonic() < deadline, f"{url} did not reach block {block} within {timeout}s"
        time.sleep(0.05)


def test_ending_an_assignment_stops_its_grants_at_the_next_read_across_nodes(pair: Nodes) -> None:
    caseworker2 = 31  # civil affairs' second subsistence caseworker (the demo); given the post back at the end
    record_id = pair.client(pair.committee_url, RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
    officer = pair.client(pair.department_url, caseworker2)
    bound = officer.request("GET", "/assignments/mine")["id"]
    request_id = officer.request_access(
        scope="record", recordId=record_id, fields=["members"], purpose="subsistence_review", justification="case 12"
    )
    approved = pair.client(pair.committee_url, RC_ADMIN).act("POST", f"/requests/{request_id}/approve", {"days": 30})
    _follows(pair.department_url, approved["blockNumber"])
    assert officer.read(record_id, ["members"], "subsistence_review")["bundle"]  # served by the committee's node
    # civil affairs' admin ends the post at civil affairs' node: the committee's node refuses the next read
    ended = pair.client(pair.department_url, CA_ADMIN).act("DELETE", f"/assignments/{bound}")
    _follows(pair.committee_url, ended["blockNumber"])
    _follows(pair.department_url, ended["blockNumber"])
    with pytest.raises(ApiError) as refused:
        officer.read(record_id, ["members"], "subsistence_review")
    assert (refused.value.status, refused.value.api_code) == (403, "post_ended")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    member = dev_account(caseworker2).address
    pair.client(pair.department_url, CA_ADMIN).act(
        "POST", "/assignments", {"member": member, "post": "subsistence_caseworker", "until": until}
    )


def test_the_auditor_acknowledges_a_watchdog_alert_in_the_browser_and_on_the_chain(pair: Nodes, browser: Any) -> None:
    record_id, officer = _granted(pair)
    seqs = [officer.read(record_id, ["address"], "subsistence_review")["receipt"]["seq"] for _ in range(6)]
    portal = Portal(pair.urls["auditor"], pair.home / "keystores", browser)
    page = portal.page()
    portal.sign_in(page, "/auditor", "auditor-auditor.json")
    # six reads of one record under one grant: the auditor's node raises it from rc-east's trail
    card = page.locator("#watchdog")
    item = card.locator("li[data-rule='repeats'][data-state='open']").filter(has_text=f"#{seqs[-1]}")
    item.wait_for(timeout=60_000)
    text = item.inner_text()
    assert "The same resident, again and again" in text and "Wang Fang (Subsistence caseworker), Civil Affairs" in text, text
    assert all(f"#{s}" in text for s in seqs), text
    alert_id = item.get_attribute("data-alert")
    item.locator("button[data-verdict='acknowledged']").click()  # no note: refused, nothing signed
    assert "at least 3 characters" in item.inner_text()
    item.locator("textarea").fill("asked the caseworker: one review, the page reloaded on a slow line")
    item.locator("button[data-verdict='acknowledged']").click()
    done = card.locator(f"li[data-alert='{alert_id}'][data-state='acknowledged']")
    done.wait_for(timeout=60_000)
    assert "Acknowledged by Tang Yu (Discipline Inspection Office)" in done.inner_text(), done.inner_text()
    assert "the page reloaded on a slow line" in done.inner_text()
    portal.shot(page, "auditor-watchdog-en")
    assert page.errors == []  # type: ignore[attr-defined]
    # on the chain, under the auditor's own key, with the events they saw
    [log] = [g for g in pair.contracts.trail.handle.logs("AlertReviewed") if "0x" + bytes(g["alertId"]).hex() == alert_id]
    assert (log["verdict"], log["reviewer"]) == (1, dev_account(AUDITOR).address)
    shown = pair.client(pair.urls["auditor"], AUDITOR).request("GET", "/watchdog/alerts", params={"scope": "consortium"})
    [alert] = [a for a in shown["alerts"] if a["id"] == alert_id]
    assert "0x" + bytes(log["eventsHash"]).hex() == alert["eventsHash"] and alert["state"] == "acknowledged"
    # the same card in Chinese, on a phone
    zh = portal.page(lang="zh-CN", width=360, height=780)
    portal.sign_in(zh, "/auditor", "auditor-auditor.json")
    zh.locator(f"#watchdog li[data-alert='{alert_id}']").wait_for(timeout=60_000)
    assert "已确认无误" in zh.locator(f"#watchdog li[data-alert='{alert_id}']").inner_text()
    assert zh.evaluate("document.documentElement.scrollWidth") <= 360
    portal.shot(zh, "auditor-watchdog-phone-zh-CN")
    assert zh.errors == []  # type: ignore[attr-defined]


def _sees_head(url: str, pair: Nodes, timeout: float = 10.0) -> None:
    """Waits until the node at ``url`` follows the chain's current head."""
    block = int(str(rpc(pair.settings.effective_rpc_url, "eth_blockNumber")), 16)
    deadline = time.monotonic() + timeout
    while (httpx.get(url + "/health", timeout=5).json()["chain"].get("head") or 0) < block:
        assert time.monotonic() < deadline, f"{url} did not see block {block}"
        time.sleep(0.05)


def test_a_covert_read_is_sealed_extended_and_released_each_from_its_own_seat_in_the_browser(
    pair: Nodes, browser: Any
) -> None:
    """Public security seals at its node, the procuratorate extends at its node, the auditor counts at the
    auditor's node, the resident sees nothing at their committee's node until the seal is released."""
    from ledger.chain.seals import Target

    keystores = pair.home / "keystores"
    nodes = {code: ApiProcess(pair.home, code) for code in ("public-security", "procuratorate")}
    urls = {code: proc.up(free_port(), env=pair.env).url for code, proc in nodes.items()}
    admins = {"public-security": 13, "procuratorate": 33}
    for code, admin in admins.items():
        pair.contracts.bodies.update_profile(
            pair.contracts.chain.direct(dev_account(admin)), b"", format_endpoint(urls[code], None)
        )
    try:
        nid = national_id()
        committee = pair.client(pair.committee_url, RC_OFFICER)
        record_id = committee.register_record("household", nid, HOUSEHOLD)
        ps = pair.client(urls["public-security"], 15)
        request_id = ps.request_access(
            scope="record", recordId=record_id, fields=["members"], purpose="public_security", justification="case 2026-121"
        )
        grant = pair.client(pair.committee_url, RC_ADMIN).approve(request_id, days=60)
        # 1. the community police officer seals the grant's reads, in the browser at their own node
        sealer = Portal(urls["public-security"], keystores, browser)
        page = sealer.page()
        sealer.sign_in(page, "/officer", "public-security-officer.json")
        page.wait_for_selector("#seal-form")
        page.select_option("#seal-target", "grant")
        page.fill("#seal-id", str(grant))
        page.fill("#seal-case", "case 2026-121")
        page.fill("#seal-days", "30")
        page.get_by_role("button", name="Seal and sign").click()
        page.wait_for_selector("#seals tr[data-seal]")
        seal = pair.contracts.seals.seal_of(Target.GRANT, grant)
        assert f"Seal {seal} is on-chain." in page.inner_text("main")
        assert seal and page.locator(f"#seals tr[data-seal='{seal}'][data-state='sealed']").count() == 1
        assert "case 2026-121" in page.locator(f"#seals tr[data-seal='{seal}']").inner_text()
        sealer.shot(page, "seals-sealer-en")
        _sees_head(pair.committee_url, pair)
        covert = ps.read(record_id, ["members"], "public_security")["receipt"]["seq"]
        # 2. the resident, at their committee's node: nothing of it
        code = committee.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
        resident_portal = Portal(pair.committee_url, keystores, browser)
        resident = resident_portal.page()
        resident.goto(pair.committee_url + "/resident")
        resident.fill("#code", code)
        resident.keyboard.press("Enter")
        resident.wait_for_selector("p.lead")
        assert resident.locator("ol.events > li").count() == 0 and "Public Security" not in resident.inner_text("main")
        # 3. the auditor, at the auditor's node, counts it (gathered from rc-east's node)
        auditing = Portal(pair.urls["auditor"], keystores, browser)
        auditor = auditing.page()
        auditing.sign_in(auditor, "/auditor", "auditor-auditor.json")
        row = auditor.wait_for_selector("#seal-stats tr[data-body='public-security']")
        cells = row.inner_text()
        assert "Public Security Bureau" in cells and re.search(r"\b1\b", cells), cells
        auditing.shot(auditor, "seals-auditor-en")
        # 4. the procurator, at the procuratorate's node, sees the case hash, the body and the ages, and extends
        overseer = Portal(urls["procuratorate"], keystores, browser)
        zh = overseer.page(lang="zh-CN", width=360, height=780)
        overseer.sign_in(zh, "/officer", "procuratorate-prosecutor.json")
        item = zh.wait_for_selector(f"#oversight li[data-seal='{seal}']")
        assert "公安局" in item.inner_text() and "case 2026-121" not in item.inner_text()
        zh.fill(f"#extend-days-{seal}", "20")
        zh.fill(f"#extend-reason-{seal}", "证人在外地，三月返回")
        zh.locator(f"form[data-extend='{seal}'] button[type=submit]").click()
        zh.wait_for_selector(f"text=第 {seal} 号封存已延长")
        assert pair.contracts.seals.get(seal).extensions == 1
        assert zh.evaluate("document.documentElement.scrollWidth") <= 360
        overseer.shot(zh, "seals-oversight-phone-zh-CN")
        # the sealer's page offers no extension, and the API refuses one
        with pytest.raises(ApiError) as refused:
            ps.act(
                "POST", f"/seals/{seal}/extend", {"until": pair.contracts.seals.get(seal).until + 86_400, "reason": "more"}
            )
        assert refused.value.status == 403
        # 5. the officer releases; the resident now sees the read, kept from them until then, and verifies it
        page.reload()
        unlock(page, keystores / "public-security-officer.json")
        page.locator(f"button[data-release='{seal}']").click()
        page.wait_for_selector(f"text=Seal {seal} is released")
        _sees_head(pair.committee_url, pair)
        resident.reload()
        item = resident.wait_for_selector(f"ol.events > li[data-seq='{covert}']")
        assert "Kept from you" in item.inner_text() and "Public Security Bureau" in item.inner_text()
        resident.wait_for_selector(f"ol.events > li[data-seq='{covert}'][data-verified='passed']", timeout=60_000)
        resident_portal.shot(resident, "seals-resident-released-en")
        for p in (page, resident, auditor, zh):
            assert p.errors == []  # type: ignore[attr-defined]
    finally:
        for admin in admins.values():
            pair.contracts.bodies.update_profile(pair.contracts.chain.direct(dev_account(admin)), b"", "")
        for proc in nodes.values():
            proc.down()
