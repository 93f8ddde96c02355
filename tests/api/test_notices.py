"""Notices to residents: a real local HTTP receiver plays the body's SMS / WeChat gateway.

rc-east's node runs with ``LEDGER_NOTIFY_WEBHOOK`` pointing at the receiver, elderly care as the sensitive
category (each read an instant notice) and 4-second digest windows (household reads, one digest per
resident and window). The receiver checks every signature, refuses stale or forged ones, and can be
turned off (503) to play a gateway that is down; the node is killed with SIGKILL to play a crash.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from ledger.client.api_client import ApiClient
from ledger.config import Settings
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode, port_free, process_alive
from ledger.local.system import open_chain, up
from ledger.notify.delivery import verify
from tests.api.conftest import BLOCK_TIME, TOKEN_SECRET, Api
from tests.api.test_flows import HOUSEHOLD, RC_ADMIN, RC_OFFICER, national_id
from tests.support import free_port, rpc

pytestmark = pytest.mark.node
LEDGER = Path(sys.executable).with_name("ledger")

SECRET = "test-only notify secret: 0f3c9a7e5b2d41c8a6e9"
ELDERLY = {
    "care_level": 2,
    "caregiver": "Daughter, Test Lane 1",
    "living_alone": False,
    "services": ["meals"],
    "emergency_contact": "+86 10 5550 0100",
    "notes": None,
}


@dataclass
class Gateway:
    """The receiving end: every POST kept with whether its signature held; ``up`` False answers 503."""

    up: bool = True
    posts: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def taken(self) -> list[dict[str, Any]]:
        """The notices taken (answered 200), each once: the gateway dedupes by the notice id."""
        with self.lock:
            seen: dict[str, dict[str, Any]] = {}
            for p in self.posts:
                if p["status"] == 200:
                    seen.setdefault(p["id"], p)
            return list(seen.values())

    def wait(self, done: Callable[[list[dict[str, Any]]], bool], timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not done(taken := self.taken()):
            assert time.monotonic() < deadline, f"the gateway has {taken}"
            time.sleep(0.2)
        return taken


def _handler(gw: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            signed = verify(SECRET.encode(), body, self.headers.get("X-Civic-Ledger-Signature", ""))
            status = 200 if gw.up and signed else 503 if not gw.up else 401
            with gw.lock:
                gw.posts.append(
                    {
                        "id": self.headers.get("X-Civic-Ledger-Notice"),
                        "signed": signed,
                        "status": status,
                        "raw": body,
                        "json": json.loads(body),
                    }
                )
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b'{"accepted": true}' if status == 200 else b'{"error": "unavailable"}')

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@dataclass
class Notified:
    api: Api
    gateway: Gateway
    node: ApiProcess
    port: int
    env: dict[str, str]

    def restart(self) -> None:
        self.node.up(self.port, env=self.env)


@pytest.fixture(scope="module")
def notified(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notified]:
    gateway = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    home = tmp_path_factory.mktemp("notices") / "home"
    settings = Settings(home=home, node_port=free_port())
    up(settings)
    rpc(settings.effective_rpc_url, "evm_setIntervalMining", BLOCK_TIME)
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_HOME": str(home),
        "LEDGER_NODE_PORT": str(settings.node_port),
        "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
        "LEDGER_NOTIFY_WEBHOOK": f"http://127.0.0.1:{server.server_port}/notices",
        "LEDGER_NOTIFY_SECRET": SECRET,
        "LEDGER_NOTIFY_SENSITIVE": '["elderly_care"]',
        "LEDGER_NOTIFY_DIGEST_SECONDS": "4",
        "LEDGER_NOTIFY_INTERVAL": "0.2",
    }
    node = ApiProcess(home, "rc-east")
    try:
        url = node.up(port, env=env).url
        chain = open_chain(settings)
        from ledger.chain.deploy import Contracts

        api = Api(url, Contracts.of(chain), chain, settings, "sqlite", settings.store_url("rc-east"))
        yield Notified(api, gateway, node, port, env)
    finally:
        node.down()
        LocalNode(home).down()
        server.shutdown()


def _resident(api: Api) -> tuple[str, str, str]:
    """A new resident of rc-east with a household and an elderly-care record: (national id, records)."""
    nid, officer = national_id(), api.signed_in(RC_OFFICER)
    return nid, officer.register_record("household", nid, HOUSEHOLD), officer.register_record("elderly_care", nid, ELDERLY)


def _seqs(notice: dict[str, Any]) -> list[int]:
    return [r["seq"] for r in notice["json"]["reads"]]


def test_each_read_is_told_once_instant_for_elderly_care_in_a_digest_for_household(notified: Notified) -> None:
    api, gw = notified.api, notified.gateway
    nid, household, elderly = _resident(api)
    officer = api.signed_in(RC_OFFICER)
    instant = [officer.read(elderly, ["care_level"], "elderly_care")["receipt"]["seq"] for _ in range(2)]
    daily = [officer.read(household, ["members"], "grid_management")["receipt"]["seq"] for _ in range(3)]
    ours_seqs = set(instant + daily)
    mine = lambda taken: [n for n in taken if set(_seqs(n)) & ours_seqs]  # noqa: E731
    told = gw.wait(lambda t: sorted(s for n in mine(t) for s in _seqs(n)) == sorted(instant + daily))
    ours = mine(told)
    # exactly once: every read in one notice; two instant notices, household reads in digests of their windows
    assert sorted(s for n in ours for s in _seqs(n)) == sorted(instant + daily)
    assert sorted(_seqs(n)[0] for n in ours if n["json"]["kind"] == "instant") == sorted(instant)
    assert all(n["json"]["kind"] == "digest" for n in ours if set(_seqs(n)) <= set(daily))
    assert len([n for n in ours if n["json"]["kind"] == "digest"]) <= 2  # four reads within seconds: one or two windows
    # signed, and nothing that names the resident: no ID number, no field value, no name
    for n in ours:
        assert n["signed"] and n["json"]["custodian"] == "rc-east" and n["json"]["link"].endswith("/resident")
        raw = n["raw"].decode()
        assert nid not in raw and nid[:14] not in raw and "Test Resident" not in raw and "Daughter" not in raw
        assert not re.search(r"\d{17}[\dX]", raw)
        assert {r["readingBody"] for r in n["json"]["reads"]} == {"rc-east"}
    # the resident's trail says which reads were told, and when; the admin sees the receipts
    code = officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    events = api.client().trail_by_code(code)["events"]
    assert all(
        e["notice"]["state"] == "delivered" and e["notice"]["deliveredAt"] for e in events if e["seq"] in instant + daily
    )
    outbox = api.signed_in(RC_ADMIN).request("GET", "/notices/outbox")
    by_id = {n["id"]: n for n in outbox["notices"]}
    assert all(by_id[n["id"]]["receipt"].startswith("200") for n in ours) and outbox["gateway"]
    refused = api.signed_in(RC_OFFICER)
    with pytest.raises(Exception) as denied:
        refused.request("GET", "/notices/outbox")
    assert getattr(denied.value, "status", None) == 403


def test_a_gateway_down_for_a_while_gets_each_notice_once_when_it_is_back(notified: Notified) -> None:
    api, gw = notified.api, notified.gateway
    _, _, elderly = _resident(api)
    gw.up = False
    seq = api.signed_in(RC_OFFICER).read(elderly, ["care_level"], "elderly_care")["receipt"]["seq"]
    deadline = time.monotonic() + 60
    while len([p for p in gw.posts if p["status"] == 503 and p["json"]["reads"][0]["seq"] == seq]) < 2:
        assert time.monotonic() < deadline, "the node did not retry"
        time.sleep(0.2)
    waiting = [n for n in api.signed_in(RC_ADMIN).request("GET", "/notices/outbox")["notices"] if n["seq"] == seq]
    assert waiting[0]["state"] == "pending" and waiting[0]["lastError"].startswith("503") and waiting[0]["attempts"] >= 2
    gw.up = True
    told = gw.wait(lambda t: any(seq in _seqs(n) for n in t))
    assert len([n for n in told if seq in _seqs(n)]) == 1


def test_a_read_survives_kill_9_of_the_node_and_is_told_once(notified: Notified) -> None:
    api, gw = notified.api, notified.gateway
    _, _, elderly = _resident(api)
    gw.up = False  # nothing can go out before the crash
    seq = api.signed_in(RC_OFFICER).read(elderly, ["care_level"], "elderly_care")["receipt"]["seq"]
    info = notified.node.running()
    assert info is not None
    os.killpg(info.pid, signal.SIGKILL)  # the node's whole process group: no shutdown, no flush
    deadline = time.monotonic() + 30
    while process_alive(info.pid) or not port_free(notified.port):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    gw.up = True
    notified.restart()
    told = gw.wait(lambda t: any(seq in _seqs(n) for n in t))
    assert len([n for n in told if seq in _seqs(n)]) == 1
    ids = {p["id"] for p in gw.posts if seq in _seqs({"json": p["json"]})}
    assert len(ids) == 1  # whatever was retried was the same notice: the gateway's idempotency key


def test_a_resident_who_chose_no_notices_for_a_category_is_not_told_and_another_committee_cannot_choose(
    notified: Notified,
) -> None:
    api, gw = notified.api, notified.gateway
    nid, household, elderly = _resident(api)
    officer = api.signed_in(RC_OFFICER)
    body = {"nationalId": nid, "category": "elderly_care", "choice": "none", "evidence": "said so at the counter, 6 Dec"}
    with pytest.raises(Exception) as refused:  # a department cannot speak for the resident
        api.signed_in(12).request("PUT", "/residents/notices", json=body)
    assert getattr(refused.value, "status", None) == 403
    officer.act("PUT", "/residents/notices", body)
    quiet = officer.read(elderly, ["care_level"], "elderly_care")["receipt"]["seq"]
    # household reads of the same resident are still told (at once now: they chose instant for it)
    officer.act("PUT", "/residents/notices", {**body, "category": "household", "choice": "instant"})
    told = officer.read(household, ["members"], "grid_management")["receipt"]["seq"]
    taken = gw.wait(lambda t: any(told in _seqs(n) for n in t))
    [notice] = [n for n in taken if told in _seqs(n)]
    assert notice["json"]["kind"] == "instant"
    # the outbox follows the trail in order: it passed the quiet read, which no notice tells of
    assert not [p for p in gw.posts if quiet in _seqs({"json": p["json"]})]
    code = officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    events = {e["seq"]: e for e in api.client().trail_by_code(code)["events"]}
    assert events[quiet]["notice"] is None and events[told]["notice"]["kind"] == "instant"


def test_a_standing_agreements_batch_tells_each_resident_in_a_digest_not_at_once_per_read_or_field(
    notified: Notified,
) -> None:
    """Elderly care is told at once read by read; a department's batch under a standing agreement is not one
    resident's case: it joins each resident's digest, one notice per window however many fields and runs."""
    api, gw = notified.api, notified.gateway
    records = {nid: elderly for nid, _, elderly in (_resident(api) for _ in range(3))}
    asked = api.signed_in(10).act(  # civil affairs' admin asks rc-east for a standing agreement; its admin approves
        "POST",
        "/agreements",
        {
            "category": "elderly_care",
            "fields": ["care_level", "living_alone"],
            "purpose": "elderly_care",
            "justification": "monthly care-level review",
        },
    )
    grant = api.signed_in(RC_ADMIN).approve(ApiClient.event_arg(asked, "AccessRequested", "requestId"), days=30)
    assert api.signed_in(12).request("GET", f"/grants/{grant}")["scope"] == "agreement"
    batch = api.signed_in(12)
    seqs = {
        nid: [batch.read(record, [f], "elderly_care")["receipt"]["seq"] for f in ("care_level", "living_alone")]
        for nid, record in records.items()
    }
    every = {s for both in seqs.values() for s in both}
    told = gw.wait(lambda t: {s for n in t for s in _seqs(n)} >= every)
    ours = [n for n in told if set(_seqs(n)) & every]
    assert sorted(s for n in ours for s in _seqs(n)) == sorted(every)  # each read told, once
    assert {n["json"]["kind"] for n in ours} == {"digest"}
    for both in seqs.values():  # one notice per resident and window: the windows their reads fell in
        theirs = [n for n in ours if set(_seqs(n)) & set(both)]
        windows = {int(dt.datetime.fromisoformat(r["at"]).timestamp() // 4) for n in theirs for r in n["json"]["reads"]}
        assert len({n["json"]["subjectId"] for n in theirs}) == 1 and len(theirs) == len(windows)
    # one resident's own case under a grant of their record is still told at once
    nid = next(iter(records))
    own = api.signed_in(RC_OFFICER).read(records[nid], ["care_level"], "elderly_care")["receipt"]["seq"]
    [alone] = [n for n in gw.wait(lambda t: any(own in _seqs(n) for n in t)) if own in _seqs(n)]
    assert alone["json"]["kind"] == "instant"


# ------------------------------------------------------------------ sealed reads

PS_OFFICER, PS_ADMIN, PROSECUTOR, AUDITOR = 15, 13, 35, 18
DAY = 86_400


def _sealed_grant(api: Api, record: str, *, days: int = 30) -> tuple[int, int]:
    """Public security's grant to a household record, sealed for ``days``: (grant, seal)."""
    ps = api.signed_in(PS_OFFICER)
    request_id = ps.request_access(
        scope="record", recordId=record, fields=["members"], purpose="public_security", justification="case 2026-117"
    )
    grant = api.signed_in(RC_ADMIN).approve(request_id, days=60)
    until = api.chain.timestamp() + days * DAY
    done = ps.act("POST", "/seals", {"target": "grant", "targetId": grant, "caseReference": "case 2026-117", "until": until})
    return grant, int(ps.event_arg(done, "Sealed", "sealId"))


def _trail(api: Api, code: str) -> dict[int, dict[str, Any]]:
    return {e["seq"]: e for e in api.client().trail_by_code(code)["events"]}


def _verified(api: Api, code: str, tmp: Any) -> dict[str, Any]:
    """The resident's bundle, saved and checked with `ledger verify trail` once every event is anchored."""
    path = tmp / "trail.json"
    deadline = time.monotonic() + 60
    while True:
        bundle = api.client().request("POST", "/trail/by-code/bundle", json={"code": code})
        path.write_text(json.dumps(bundle))
        done = subprocess.run(
            [
                str(LEDGER),
                "verify",
                "trail",
                str(path),
                "--rpc",
                api.settings.effective_rpc_url,
                "--manifest",
                str(api.settings.manifest_path),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        if not report["pending"]:
            return {"bundle": bundle, "report": report}
        assert time.monotonic() < deadline, report
        time.sleep(0.5)


def test_a_sealed_read_is_hidden_and_untold_until_the_sealer_releases_it_then_shown_with_its_proof(
    notified: Notified, tmp_path: Any
) -> None:
    api, gw = notified.api, notified.gateway
    nid, household, _ = _resident(api)
    officer, ps = api.signed_in(RC_OFFICER), api.signed_in(PS_OFFICER)
    before = officer.read(household, ["members"], "grid_management")["receipt"]["seq"]
    _grant, seal = _sealed_grant(api, household)
    # read at once, as an officer would: the node asks the chain's own head for a sealing body's read
    covert = ps.read(household, ["members"], "public_security")["receipt"]["seq"]
    after = officer.read(household, ["members"], "grid_management")["receipt"]["seq"]
    code = officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    # the resident: neither the read nor a gap where it is, in the trail, the bundle (checked) or the notices
    shown = _trail(api, code)
    assert covert not in shown and {before, after} <= set(shown)
    assert api.client().trail_by_code(code)["total"] == len(shown)
    checked = _verified(api, code, tmp_path)
    assert covert not in [e["seq"] for e in checked["bundle"]["events"]] and checked["report"]["ok"]
    with pytest.raises(Exception) as hidden:
        api.client().request("POST", f"/trail/by-code/events/{covert}", json={"code": code})
    assert getattr(hidden.value, "status", None) == 404
    gw.wait(lambda t: any(after in _seqs(n) for n in t))
    assert not [p for p in gw.posts if covert in _seqs({"json": p["json"]})]
    # the auditor: the read is in the trail and the audit, and the statistics count it
    auditor = api.signed_in(AUDITOR)
    assert covert in [
        e["seq"]
        for e in auditor.request("GET", "/trail", params={"subjectId": api.client().trail_by_code(code)["subjectId"]})[
            "events"
        ]
    ]
    report = auditor.request("POST", "/audit/verify")
    assert report["ok"], report
    stats = {b["body"]: b for b in auditor.request("GET", "/seals/stats")["bodies"]}
    assert stats["public-security"]["sealed"] >= 1 and stats["public-security"]["readsSealed"] >= 1
    # the oversight body sees the case hash, the body and the ages, not what is sealed
    [seen] = [s for s in api.signed_in(PROSECUTOR).request("GET", "/seals")["seals"] if s["id"] == seal]
    assert seen["body"] == "public-security" and seen["target"] is None and seen["targetId"] is None
    assert seen["case"] is None and seen["state"] == "sealed"
    # only the sealer releases; then the read is shown, told, and proven committed when it was made
    with pytest.raises(Exception) as other:
        officer.act("POST", f"/seals/{seal}/release")
    assert getattr(other.value, "status", None) == 403
    ps.act("POST", f"/seals/{seal}/release")
    api.node_sees_head()
    shown = _trail(api, code)
    assert {before, covert, after} <= set(shown) and shown[covert]["readerBody"] == "public-security"
    checked = _verified(api, code, tmp_path)
    [event] = [e for e in checked["bundle"]["events"] if e["seq"] == covert]
    assert event["sealId"] == seal and event["proof"] is not None and checked["report"]["anchored"] >= 3
    told = gw.wait(lambda t: any(covert in _seqs(n) for n in t))
    [notice] = [n for n in told if covert in _seqs(n)]
    assert notice["json"]["kind"] == "released" and notice["signed"] and nid not in notice["raw"].decode()


def test_only_oversight_extends_a_seal_by_at_most_90_days_and_no_seal_runs_past_90(notified: Notified) -> None:
    api = notified.api
    _, household, _ = _resident(api)
    ps, prosecutor = api.signed_in(PS_OFFICER), api.signed_in(PROSECUTOR)
    _grant, seal = _sealed_grant(api, household, days=10)
    end = int(prosecutor.request("GET", "/seals")["seals"][seal - 1]["until"])
    body = {"until": end + 5 * DAY, "reason": "witness abroad until March"}
    for sealer in (ps, api.signed_in(PS_ADMIN)):  # the sealer cannot prolong its own seal
        with pytest.raises(Exception) as refused:
            sealer.act("POST", f"/seals/{seal}/extend", body)
        assert (getattr(refused.value, "status", None), getattr(refused.value, "api_code", None)) == (403, "not_authorized")
    with pytest.raises(Exception) as too_long:
        prosecutor.act("POST", f"/seals/{seal}/extend", {**body, "until": end + 91 * DAY})
    assert getattr(too_long.value, "status", None) == 422
    done = prosecutor.act("POST", f"/seals/{seal}/extend", {**body, "until": end + 90 * DAY})
    assert prosecutor.event_arg(done, "SealExtended", "until") == end + 90 * DAY
    [seen] = [s for s in api.signed_in(AUDITOR).request("GET", "/seals")["seals"] if s["id"] == seal]
    assert (seen["until"], seen["extensions"], seen["target"]) == (end + 90 * DAY, 1, "grant")
    # a new seal of 91 days is refused, in words, and nothing is sealed
    other = ps.request_access(
        scope="record", recordId=household, fields=["members"], purpose="public_security", justification="case 2026-118"
    )
    grant = api.signed_in(RC_ADMIN).approve(other, days=60)
    count = len(api.signed_in(AUDITOR).request("GET", "/seals")["seals"])
    with pytest.raises(Exception) as refused:
        ps.act(
            "POST",
            "/seals",
            {
                "target": "grant",
                "targetId": grant,
                "caseReference": "case 2026-118",
                "until": api.chain.timestamp() + 91 * DAY,
            },
        )
    assert (getattr(refused.value, "status", None), getattr(refused.value, "api_code", None)) == (422, "invalid_seal_end")
    assert len(api.signed_in(AUDITOR).request("GET", "/seals")["seals"]) == count


def test_an_emergency_sealed_with_its_reads_stays_hidden_until_its_sealer_releases_it(notified: Notified) -> None:
    api, gw = notified.api, notified.gateway
    nid, _, elderly = _resident(api)
    ps = api.signed_in(PS_OFFICER)
    emergency = ps.declare_emergency(
        elderly, ["care_level"], "a missing person: last seen at home", purpose="public_security"
    )
    done = ps.act(
        "POST",
        "/seals",
        {
            "target": "emergency",
            "targetId": emergency,
            "caseReference": "case 2026-130",
            "until": api.chain.timestamp() + DAY,
        },
    )
    seal = int(ps.event_arg(done, "Sealed", "sealId"))
    covert = ps.read(elderly, ["care_level"], "public_security", emergency_id=emergency)["receipt"]["seq"]
    code = api.signed_in(RC_OFFICER).request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    assert covert not in _trail(api, code)
    with pytest.raises(Exception) as other:  # another department cannot seal public security's emergency
        api.signed_in(12).act(
            "POST",
            "/seals",
            {"target": "emergency", "targetId": emergency, "caseReference": "x" * 5, "until": api.chain.timestamp() + DAY},
        )
    assert getattr(other.value, "status", None) == 403
    ps.act("POST", f"/seals/{seal}/release")
    api.node_sees_head()
    shown = _trail(api, code)[covert]
    assert shown["emergency"]["id"] == emergency and shown["sealedUntil"]
    told = gw.wait(lambda t: any(covert in _seqs(n) for n in t))
    assert [n["json"]["kind"] for n in told if covert in _seqs(n)] == ["released"]


def test_zz_a_sealed_read_is_shown_and_told_when_its_end_date_passes_on_the_chain_clock(notified: Notified) -> None:
    """Last in the module: the chain's clock moves a week on."""
    api, gw = notified.api, notified.gateway
    nid, household, _ = _resident(api)
    officer, ps = api.signed_in(RC_OFFICER), api.signed_in(PS_OFFICER)
    _grant, seal = _sealed_grant(api, household, days=2)
    api.node_sees_head()
    covert = ps.read(household, ["members"], "public_security")["receipt"]["seq"]
    code = officer.request("POST", "/trail/codes", json={"nationalId": nid})["code"]
    assert covert not in _trail(api, code)
    api.rpc("evm_increaseTime", 3 * DAY)
    api.rpc("evm_mine")
    api.node_sees_head()
    assert covert in _trail(api, code)
    told = gw.wait(lambda t: any(covert in _seqs(n) for n in t))
    assert [n["json"]["kind"] for n in told if covert in _seqs(n)] == ["released"]
    [seen] = [s for s in api.signed_in(AUDITOR).request("GET", "/seals")["seals"] if s["id"] == seal]
    assert seen["state"] == "ended" and seen["daysLeft"] is None
