"""The local system's APIs (`ledger api up`) and the `ledger` commands that are their clients:
a department officer, a committee admin and a resident, each from a terminal with their key."""

from __future__ import annotations

import datetime as dt
import json
import socket
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.chain.deploy import Contracts
from ledger.config import Settings
from ledger.crypto.subjects import check_character
from ledger.ids import code_id
from ledger.local import demo
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain
from ledger.network.registry import published_api
from tests.integration.conftest import Cli
from tests.support import free_port, free_port_run

pytestmark = pytest.mark.node

ID17 = "11010519600101123"  # the demo's East Gate household (invented)
NATIONAL_ID = ID17 + check_character(ID17)
OFFICER, ADMIN, COMMITTEE_OFFICER = "12", "4", "6"  # civil affairs officer; rc-east admin and officer


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, str]]:
    cli = Cli(tmp_path_factory.mktemp("api-cli") / "home", free_port())
    cli("up")
    port = free_port_run(len(demo.node_bodies()))
    cli("api", "up", "--port", str(port))
    yield cli, f"http://127.0.0.1:{port}"
    cli("api", "down", ok=False)
    cli("node", "down", ok=False)


def test_api_up_starts_every_bodys_node_once_and_publishes_its_address(system: tuple[Cli, str]) -> None:
    cli, url = system
    before = cli("api", "status").json()
    assert [(s["body"], s["running"]) for s in before] == [
        ("rc-east", True),
        ("rc-west", True),
        ("subdistrict", True),
        ("civil-affairs", True),
        ("public-security", True),
        ("auditor", True),
        ("procuratorate", True),
    ]
    again = cli("api", "up", "--port", url.rsplit(":", 1)[1])
    assert "ledger login --api" in again.stdout and "--dev-account 12" in again.stdout
    assert cli("api", "status").json() == before
    contracts = Contracts.of(open_chain(Settings(home=cli.home, node_port=cli.port)))
    for s in before:
        health = httpx.get(s["url"] + "/health", timeout=10).json()
        assert health["chain"]["reachable"] and health["database"]["reachable"]
        # each node's address is in the registry, where the other nodes look it up
        assert published_api(contracts, code_id(s["body"])) == s["url"]
    databases = sorted(p.name for p in (cli.home / "store").glob("*.db"))
    assert databases == sorted(f"{s['body']}.db" for s in before)  # each node its own database


def test_request_approve_read_verify_trail_revoke_from_the_terminal(system: tuple[Cli, str], tmp_path) -> None:
    cli, url = system
    api = ("--api", url)
    me = cli("login", *api, "--dev-account", OFFICER).json()
    assert (me["body"], me["roles"]) == ("civil-affairs", ["officer"])
    sessions = list((cli.home / "sessions").iterdir())
    assert sessions and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in sessions)

    request_id = cli(
        "request",
        *api,
        "--dev-account",
        OFFICER,
        "--national-id",
        NATIONAL_ID,
        "--category",
        "household",
        "--field",
        "address",
        "--field",
        "members",
        "--purpose",
        "subsistence_review",
        "--justification",
        "allowance review",
    ).json()["requestId"]
    pending = cli("requests", *api, "--dev-account", ADMIN, "--view", "pending").json()
    assert request_id in [r["id"] for r in pending]
    grant_id = cli("approve", str(request_id), *api, "--dev-account", ADMIN, "--days", "7").json()["grantId"]

    [record] = cli("find", *api, "--dev-account", OFFICER, "--national-id", NATIONAL_ID, "--category", "household").json()
    bundle_file = tmp_path / "bundle.json"
    read = cli(
        "read",
        record["recordId"],
        *api,
        "--dev-account",
        OFFICER,
        "--field",
        "address",
        "--field",
        "members",
        "--purpose",
        "subsistence_review",
        "--out",
        str(bundle_file),
    ).json()
    assert {f["name"]: f["value"] for f in read["bundle"]["fields"]} == {
        "address": "East Gate Lane 3, unit 12",
        "members": 3,
    }
    verified = cli("records", "verify", str(bundle_file)).stdout
    assert "East Gate Lane 3" in verified

    code = cli("access-code", *api, "--dev-account", COMMITTEE_OFFICER, "--national-id", NATIONAL_ID).json()["code"]
    trail = cli("trail", *api, "--code", code).json()
    assert read["receipt"]["seq"] in [e["seq"] for e in trail["events"]]

    # the resident saves their trail bundle and checks it against the chain, trusting no node
    trail_file = tmp_path / "trail.json"
    for _ in range(60):
        cli("trail", *api, "--code", code, "--bundle", str(trail_file))
        report = cli(
            "verify", "trail", str(trail_file), "--rpc", cli.rpc_url, "--manifest", str(cli.home / "manifest.json")
        ).json()
        if not report["pending"]:
            break
        time.sleep(0.5)  # the read's batch is anchored within a second or so
    assert report["ok"] and report["anchored"] == report["events"] >= 1 and report["custodian"] == "rc-east"
    tampered = json.loads(trail_file.read_text())
    tampered["events"].pop()
    trail_file.write_text(json.dumps(tampered))
    refused_trail = cli("verify", "trail", str(trail_file), "--rpc", cli.rpc_url, ok=False)
    assert refused_trail.code == 1 and refused_trail.error()["code"] == "trail_invalid"

    cli("revoke", str(grant_id), *api, "--dev-account", ADMIN)
    refused = cli(
        "read",
        record["recordId"],
        *api,
        "--dev-account",
        OFFICER,
        "--field",
        "address",
        "--purpose",
        "subsistence_review",
        ok=False,
    )
    assert refused.code == 1 and refused.error()["code"] == "grant_revoked"
    assert json.loads(bundle_file.read_text())["recordId"] == record["recordId"]


def test_a_client_command_that_cannot_reach_its_node_says_so_in_json(tmp_path) -> None:
    cli = Cli(tmp_path / "home", free_port())
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    down = cli("trail", "--code", "ABCD-EFGH-JKMN", "--api", closed, ok=False)
    assert down.code == 1 and "Traceback" not in down.stderr
    assert down.error()["code"] == "api_unavailable" and closed in down.error()["message"]
    wrong = cli("trail", "--code", "ABCD-EFGH-JKMN", "--api", "127.0.0.1:8000", ok=False)
    assert wrong.code == 1 and "Traceback" not in wrong.stderr
    assert wrong.error()["code"] == "invalid_argument" and "http://" in wrong.error()["message"]


def test_ledger_catalog_lists_what_the_options_take_in_both_languages(system: tuple[Cli, str]) -> None:
    cli, url = system
    found = cli("catalog", "--api", url).json()
    household = next(c for c in found["categories"] if c["code"] == "household")
    assert (household["en"], household["zh-CN"]) == ("household", "户籍家庭")
    address = next(f for f in household["fields"] if f["code"] == "address")
    assert address["zh-CN"] == "住址"
    purpose = next(p for p in found["purposes"] if p["code"] == "subsistence_review")
    assert (purpose["en"], purpose["zh-CN"]) == ("subsistence allowance review", "低保审核")


def test_a_keystore_that_does_not_open_is_said_in_words(system: tuple[Cli, str], tmp_path: Path) -> None:
    cli, url = system
    keystore = cli.home / "keystores" / "rc-east-officer.json"
    wrong = cli("login", "--api", url, "--keystore", str(keystore), ok=False, LEDGER_KEYSTORE_PASSWORD="not it")
    assert wrong.code == 1 and wrong.error()["message"] == f"wrong password for {keystore}"
    other = tmp_path / "notes.json"
    other.write_text('{"hello": "world"}')
    broken = cli("login", "--api", url, "--keystore", str(other), ok=False, LEDGER_KEYSTORE_PASSWORD="demo")
    assert broken.error()["message"] == f"{other} is not a keystore file (an encrypted key, keystore V3 JSON)"


def test_a_bad_option_is_named_as_typed_not_as_the_requests_json(system: tuple[Cli, str]) -> None:
    cli, url = system
    record = "0x" + "ab" * 32
    no_field = cli("read", record, "--purpose", "subsistence_review", "--api", url, "--dev-account", OFFICER, ok=False)
    assert no_field.error()["code"] == "invalid_request"
    assert no_field.error()["message"] == "give at least one --field"
    short = cli(
        "read", "0x1234", "--field", "members", "--purpose", "statistics", "--api", url, "--dev-account", OFFICER, ok=False
    )
    assert short.error()["message"] == "the record id is not in its form (0x and 64 hex digits, as `ledger find` prints it)"
    enode = cli(
        "node", "publish", "--url", url, "--enode", "enode://xyz@h:1", "--api", url, "--dev-account", ADMIN, ok=False
    )
    assert enode.error()["message"].startswith("--enode is not in its form")
    assert "body." not in no_field.stderr + short.stderr + enode.stderr  # "body" is a government body here


def test_posts_grids_and_assignments_from_the_terminal(system: tuple[Cli, str]) -> None:
    cli, url = system
    urls = {s["body"]: s["url"] for s in cli("api", "status").json()}
    east, civil = ("--api", urls["rc-east"]), ("--api", urls["civil-affairs"])
    assert "grid_worker" in cli("posts", "list", *east, "--dev-account", ADMIN).json()
    assert [g["code"] for g in cli("grids", "list", *east, "--dev-account", ADMIN).json()] == ["grid-1", "grid-2"]
    worker = cli("assignments", "mine", *east, "--dev-account", "26").json()
    assert (worker["post"], worker["grids"], worker["inForce"]) == ("grid_worker", ["grid-1"], True)

    # the committee's admin moves the resident to grid 2 and back; a grid worker may not place anyone
    for grid in ("grid-2", "grid-1"):
        cli("residents", "place", *east, "--dev-account", ADMIN, "--national-id", NATIONAL_ID, "--grid", grid)
    refused = cli(
        "residents", "place", *east, "--dev-account", "26", "--national-id", NATIONAL_ID, "--grid", "grid-1", ok=False
    )
    assert refused.code == 1 and refused.error()["code"] == "not_authorized"
    neither = cli("residents", "place", *east, "--dev-account", ADMIN, "--national-id", NATIONAL_ID, ok=False)
    assert neither.code == 1 and "--no-grid" in neither.error()["message"]

    # civil affairs' admin gives caseworker 31 the post again (the old assignment ends), then ends it
    member = dev_account(31).address
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assigned = cli(
        "assignments", "assign", member, *civil, "--dev-account", "10", "--post", "subsistence_caseworker", "--until", until
    ).json()
    assert [e["event"] for e in assigned["events"]] == ["AssignmentEnded", "PostAssigned"]
    new_id = next(e["assignmentId"] for e in assigned["events"] if e["event"] == "PostAssigned")
    assert new_id in [a["id"] for a in cli("assignments", "list", "--current", *civil, "--dev-account", "10").json()]
    denied = cli("assignments", "end", str(new_id), *civil, "--dev-account", OFFICER, ok=False)
    assert denied.code == 1 and denied.error()["code"] == "not_authorized"
    ended = cli("assignments", "end", str(new_id), *civil, "--dev-account", "10").json()
    assert [e["event"] for e in ended["events"]] == ["AssignmentEnded"]
    assert cli("assignments", "mine", *civil, "--dev-account", "31").json() is None
    cli("assignments", "assign", member, *civil, "--dev-account", "10", "--post", "subsistence_caseworker", "--until", until)


AUDITOR = "18"  # the discipline inspection office's auditor


def test_the_watchdog_raises_repeated_reads_and_the_auditor_escalates_one_on_chain(system: tuple[Cli, str]) -> None:
    cli, url = system
    urls = {s["body"]: s["url"] for s in cli("api", "status").json()}
    east, audit = ("--api", urls["rc-east"]), ("--api", urls["auditor"])

    def consortium() -> dict[str, Any]:
        return cli("watchdog", "alerts", "--consortium", *audit, "--dev-account", AUDITOR).json()

    # the demo's trail so far (this module's ordinary reads) raises nothing, unless it ran out of office hours
    quiet = consortium()
    assert quiet["scope"] == "consortium" and quiet["sources"]["rc-east"] == "answered"
    assert [a["rule"] for a in quiet["alerts"] if a["rule"] != "off_hours"] == []
    [record] = cli(
        "find", *east, "--dev-account", COMMITTEE_OFFICER, "--national-id", NATIONAL_ID, "--category", "household"
    ).json()
    read = (
        "read",
        record["recordId"],
        *east,
        "--dev-account",
        COMMITTEE_OFFICER,
        "--field",
        "members",
        "--purpose",
        "grid_management",
    )
    seqs = [cli(*read).json()["receipt"]["seq"] for _ in range(6)]

    # six reads of one household by the same officer with no new request: raised, at the auditor's node ...
    [alert] = [a for a in consortium()["alerts"] if a["rule"] == "repeats"]
    assert (alert["reader"], alert["readerBody"], alert["state"]) == (dev_account(6).address, "rc-east", "open")
    assert {(e["body"], e["seq"]) for e in alert["events"]} >= {("rc-east", s) for s in seqs}
    assert alert["vars"]["under"] == "own" and alert["vars"]["reads"] >= 6
    # ... and at rc-east's node for its admin (its own trail), never for an officer
    own = cli("watchdog", "alerts", *east, "--dev-account", ADMIN).json()
    assert own["scope"] == "node:rc-east" and "repeats" in [a["rule"] for a in own["alerts"]]
    denied = cli("watchdog", "alerts", *east, "--dev-account", COMMITTEE_OFFICER, ok=False)
    assert denied.code == 1 and denied.error()["code"] == "not_authorized"
    elsewhere = cli("watchdog", "alerts", "--consortium", *east, "--dev-account", AUDITOR, ok=False)
    assert (
        elsewhere.error()["code"] == "not_authorized"
        and "runs at the auditor body's own node" in elsewhere.error()["message"]
    )

    # only an auditor reviews: the committee's admin may not acknowledge their own officer's alert
    [mine] = [a for a in own["alerts"] if a["rule"] == "repeats"]
    by_admin = cli(
        "watchdog",
        "review",
        mine["id"],
        "--verdict",
        "acknowledged",
        "--note",
        "fine",
        *east,
        "--dev-account",
        ADMIN,
        ok=False,
    )
    assert by_admin.error()["code"] == "not_authorized"
    bad = cli(
        "watchdog", "review", alert["id"], "--verdict", "ignored", "--note", "x", *audit, "--dev-account", AUDITOR, ok=False
    )
    assert bad.code == 1 and "--verdict" in bad.error()["message"]
    note = "six reads of one household within minutes: asked the committee why"
    done = cli(
        "watchdog",
        "review",
        alert["id"],
        "--consortium",
        "--verdict",
        "escalated",
        "--note",
        note,
        *audit,
        "--dev-account",
        AUDITOR,
    ).json()
    [event] = done["events"]
    assert (event["alertId"], event["verdict"], event["reviewer"]) == (alert["id"], 2, dev_account(18).address)
    assert event["eventsHash"] == alert["eventsHash"]
    [after] = [a for a in consortium()["alerts"] if a["id"] == alert["id"]]
    assert after["state"] == "escalated" and after["review"]["note"]["text"] == note and after["review"]["current"]
    metrics = httpx.get(urls["auditor"] + "/metrics", timeout=10).text
    assert 'ledger_watchdog_alerts{rule="repeats",scope="consortium",state="escalated"} 1.0' in metrics

    # a seventh read joins the alert: open again, the review kept for the events it covered
    cli(*read)
    [reopened] = [a for a in consortium()["alerts"] if a["id"] == alert["id"]]
    assert reopened["state"] == "open" and reopened["review"]["verdict"] == "escalated" and not reopened["review"]["current"]
