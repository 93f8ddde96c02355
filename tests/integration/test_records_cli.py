"""`ledger records` as a user runs it, on the local system `ledger up` starts: the record
lifecycle, refusals that change nothing, and crashes between storing and anchoring."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.client import Chain
from ledger.chain.compiler import compile_contracts
from ledger.chain.connection import connect
from ledger.chain.deploy import Contracts
from ledger.chain.manifest import Manifest
from ledger.crypto.subjects import check_character
from tests.integration.conftest import Cli
from tests.support import free_port

pytestmark = pytest.mark.node

OFFICER, ADMIN = "6", "4"  # rc-east's officer and admin (well-known dev keys)
LOOK = ("--dev-account", OFFICER, "--purpose", "grid_management")  # the officer's signed look at a record
FIELDS = {
    "head_of_household": "Chen Jie",
    "address": "East Gate Lane 9",
    "members": 2,
    "phone": None,
    "housing_type": "public",
    "income_band": "low",
}
ID17 = "11010519850704441"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One local system (node, contracts, demo records) for the whole module."""
    cli = Cli(tmp_path_factory.mktemp("records-cli") / "home", free_port())
    cli("up")
    yield cli
    cli("node", "down", ok=False)


def _file(tmp_path: Path, name: str, doc: Any) -> str:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


def _record(**over: Any) -> dict[str, Any]:
    return {"category": "household", "nationalId": ID17 + check_character(ID17), "fields": FIELDS, **over}


def _contracts(cli: Any) -> Contracts:
    manifest = Manifest.load(cli.home / "manifest.json")
    return Contracts.of(Chain(connect(cli.rpc_url), compile_contracts(), manifest))


def _db_rows(cli: Any, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(cli.home / "store" / "rc-east.db") as conn:
        return list(conn.execute(sql).fetchall())


def _anchor_events(c: Contracts, record_id: str) -> dict[str, int]:
    rid = bytes.fromhex(record_id[2:])
    return {e: len(c.records.handle.logs(e, recordId=rid)) for e in ("RecordRegistered", "RecordUpdated", "RecordErased")}


def test_record_lifecycle_through_the_cli(system: Any, tmp_path: Path) -> None:
    added = system("records", "add", _file(tmp_path, "r.json", _record()), "--dev-account", OFFICER).json()
    rid = added["recordId"]
    assert added["versions"][0]["anchorState"] == "anchored"
    assert system("records", "show", rid, *LOOK).json()["fields"] == FIELDS

    moved = {**FIELDS, "address": "East Gate Lane 11"}
    system("records", "update", rid, _file(tmp_path, "u.json", {"fields": moved}), "--dev-account", OFFICER)
    shown = system("records", "show", rid, *LOOK).json()
    assert shown["version"] == 2 and shown["fields"] == moved
    assert [v["version"] for v in shown["versions"]] == [1, 2]  # history kept: both commitments
    assert shown["versions"][0]["commitment"] != shown["versions"][1]["commitment"]

    bundle = system("records", "disclose", rid, "--field", "address", *LOOK).stdout
    bundle_file = _file(tmp_path, "bundle.json", bundle)
    assert "Chen Jie" not in bundle
    verified = system("records", "verify", bundle_file).json()
    assert verified["fields"] == {"address": "East Gate Lane 11"} and verified["version"] == 2

    refused = system("records", "erase", rid, "--dev-account", ADMIN, ok=False)  # no --yes
    assert refused.error()["code"] == "invalid_argument"
    erased = system("records", "erase", rid, "--yes", "--dev-account", ADMIN).json()
    assert erased["status"] == "erased"
    gone = system("records", "show", rid, *LOOK, ok=False)
    assert gone.error()["code"] == "record_erased"
    assert system("records", "verify", bundle_file).json()["recordErasedSince"] is True
    assert _anchor_events(_contracts(system), rid) == {"RecordRegistered": 1, "RecordUpdated": 1, "RecordErased": 1}


@pytest.mark.parametrize(
    "content,code,message",
    [
        ("{not json", "invalid_record", "not valid JSON"),
        ('{"category": "household", "nationalId": "x", "fields": {"members": NaN}}', "invalid_record", "NaN"),
        (_record(category="pets"), "invalid_record", "unknown category 'pets'"),
        (_record(fields={k: v for k, v in FIELDS.items() if k != "members"}), "invalid_record", "missing field(s)"),
        (_record(fields={**FIELDS, "address": "x" * 140_000}), "invalid_record", "larger than"),
        (_record(fields={**FIELDS, "address": "x" * 66_000}), "invalid_record", "the limit is 65,536"),
        (_record(nationalId="110105198507044410"), "invalid_national_id", "national ID"),
        ({"fields": FIELDS}, "invalid_record", "a record file is"),
    ],
)
def test_bad_record_files_are_refused_and_change_nothing(
    system: Any, tmp_path: Path, content: Any, code: str, message: str
) -> None:
    before = _db_rows(system, "SELECT COUNT(*) FROM records")
    head = connect(system.rpc_url).eth.block_number
    result = system("records", "add", _file(tmp_path, "bad.json", content), "--dev-account", OFFICER, ok=False)
    assert result.code == 1
    error = result.error()
    assert error["code"] == code and message in error["message"], error
    assert _db_rows(system, "SELECT COUNT(*) FROM records") == before
    assert connect(system.rpc_url).eth.block_number == head


def test_someone_of_another_body_cannot_add_to_this_store(system: Any, tmp_path: Path) -> None:
    before = _db_rows(system, "SELECT COUNT(*) FROM records")
    result = system(
        "records",
        "add",
        _file(tmp_path, "r.json", _record()),
        "--dev-account",
        "12",  # civil affairs
        "--body",
        "rc-east",
        ok=False,
    )
    assert result.error()["code"] == "not_authorized"
    assert _db_rows(system, "SELECT COUNT(*) FROM records") == before


@pytest.mark.parametrize("failpoint", ["store.after_commit", "anchor.after_send"])
def test_a_crash_between_store_and_anchor_ends_with_exactly_one_anchor(system: Any, tmp_path: Path, failpoint: str) -> None:
    c = _contracts(system)
    crashed = system(
        "records",
        "add",
        _file(tmp_path, "r.json", _record()),
        "--dev-account",
        OFFICER,
        ok=False,
        LEDGER_FAILPOINTS=failpoint,
    )
    assert crashed.code == -9  # killed at that point
    [(rid,)] = _db_rows(system, "SELECT record_id FROM record_versions WHERE anchor_state = 'pending'")
    expected_on_chain = 1 if failpoint == "anchor.after_send" else 0
    assert _anchor_events(c, rid)["RecordRegistered"] == expected_on_chain

    report = system("records", "anchor", "--dev-account", OFFICER).json()
    assert report["anchored"] == [{"recordId": rid, "version": 1, "action": "register"}]
    assert system("records", "anchor", "--dev-account", OFFICER).json()["anchored"] == []  # nothing left
    assert _anchor_events(c, rid)["RecordRegistered"] == 1
    assert system("records", "show", rid, *LOOK).json()["versions"][0]["anchorState"] == "anchored"

    # The same for a new version: killed, then finished by the next command of that officer.
    update = _file(tmp_path, "u.json", {"fields": {**FIELDS, "members": 3}})
    assert (
        system("records", "update", rid, update, "--dev-account", OFFICER, ok=False, LEDGER_FAILPOINTS=failpoint).code == -9
    )
    system("records", "anchor", "--dev-account", OFFICER)
    assert _anchor_events(c, rid)["RecordUpdated"] == 1
    assert c.records.get_record(bytes.fromhex(rid[2:])).version == 2


def test_kek_rotation_from_the_cli(system: Any) -> None:
    records = _db_rows(system, "SELECT COUNT(*) FROM record_keys")[0][0]
    before = dict(_db_rows(system, "SELECT record_id || ':' || version, ciphertext FROM record_versions"))
    result = system("records", "rewrap", "--rotate", "--body", "rc-east").json()
    assert result["rewrapped"] == records > 0
    assert {k for (k,) in _db_rows(system, "SELECT DISTINCT kek_id FROM record_keys")} == {result["epoch"]}
    epochs = json.loads((system.home / "keys" / "rc-east.epochs.json").read_text())
    assert list(epochs["keys"]) == [result["epoch"]] and epochs["keys"][result["epoch"]]["kek"] == result["activeKey"]
    keyring = (system.home / "secrets" / "rc-east.kek").read_text()
    assert keyring.startswith(result["activeKey"] + ":") and keyring.count(":") == 2  # old key kept, new one active
    assert dict(_db_rows(system, "SELECT record_id || ':' || version, ciphertext FROM record_versions")) == before
    [(rid,)] = _db_rows(system, "SELECT record_id FROM records WHERE status = 'active' AND category = 'elderly_care'")
    assert system("records", "show", rid, *LOOK).json()["fields"]["care_level"] == 2


def test_records_list_shows_a_bodys_records_without_decrypting_and_body_defaults_to_the_actor(system: Cli) -> None:
    listed = system("records", "list", "--dev-account", OFFICER).json()  # rc-east's officer: rc-east's store
    assert {r["category"] for r in listed} >= {"household", "elderly_care", "social_assistance"}
    assert all(
        set(r) == {"recordId", "subjectId", "category", "version", "status", "createdAt", "updatedAt"} for r in listed
    )
    assert "Zhang Wei" not in system("records", "list", "--dev-account", OFFICER).stdout
    west = system("records", "list", "--dev-account", "9").json()  # rc-west's officer
    assert {r["category"] for r in west} == {"household", "housing"}
    assert system("records", "list", "--body", "rc-west").json() == west
    # the acting account's body also picks the store for show; without either, a clear error
    rid = listed[0]["recordId"]
    assert system("records", "show", rid, *LOOK).json()["recordId"] == rid
    missing = system("records", "list", ok=False)
    assert missing.code == 1 and "--body" in missing.error()["message"]
    outsider = system("records", "list", "--dev-account", "19", ok=False)
    assert "not a member of any body" in outsider.error()["message"]


def test_file_modes_of_the_nodes_databases_keys_and_state_are_private(system: Cli) -> None:
    """Store files, their WAL and SHM, secrets, keystores, logs and chain state: owner only."""
    system("records", "list", "--dev-account", OFFICER)  # the store opened again: WAL and SHM exist
    loose = []
    for path in system.home.rglob("*"):
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            loose.append(f"{path.relative_to(system.home)} {oct(mode)}")
    assert loose == []


def test_records_show_is_a_signed_read_on_the_trail(system: Cli) -> None:
    """The custodian's own look at a record leaves an access event signed by the operator (issue 14, item 7)."""
    [(rid,)] = _db_rows(
        system,
        "SELECT record_id FROM records WHERE status = 'active' AND category = 'household' ORDER BY created_at LIMIT 1",
    )
    before = _db_rows(system, "SELECT COUNT(*) FROM access_events")[0][0]
    shown = system("records", "show", rid, "--field", "address", *LOOK).json()
    assert list(shown["fields"]) == ["address"]
    [(seq, reader, fields, purpose, signature)] = _db_rows(
        system, f"SELECT seq, reader, fields, purpose, signature FROM access_events WHERE seq = {before + 1}"
    )
    assert (seq, fields, purpose) == (shown["accessEvent"]["seq"], '["address"]', "grid_management")
    from ledger.local.devkeys import dev_account

    assert reader == dev_account(int(OFFICER)).address and signature.startswith("0x")
    # without the person's key there is no look at all
    refused = system("records", "show", rid, "--purpose", "grid_management", "--body", "rc-east", ok=False)
    assert refused.error()["code"] == "invalid_argument" and "--dev-account" in refused.error()["message"]


DEEP = "[" * 60_000 + "]" * 60_000  # 120 KB nested 60,000 deep, under every file limit (200 KB once a SIGSEGV)


@pytest.mark.parametrize("command", [("records", "verify"), ("verify", "trail"), ("records", "add"), ("records", "import")])
def test_deep_json_given_to_each_command_that_reads_a_file_is_a_json_error(
    system: Any, tmp_path: Path, command: tuple[str, ...]
) -> None:
    extra = ("--dev-account", OFFICER) if command[0] == "records" and command[1] in ("add", "import") else ()
    refused = system(*command, _file(tmp_path, "deep.json", DEEP), *extra, ok=False)
    assert refused.code > 0  # an exit status, not a signal
    error = refused.error()
    assert error["code"] in ("invalid_record", "invalid_argument") and "levels deep" in error["message"]


def test_a_bundle_with_version_minus_one_and_a_keystore_without_version_are_specific_errors(
    system: Any, tmp_path: Path
) -> None:
    rid = system("records", "add", _file(tmp_path, "r.json", _record()), "--dev-account", OFFICER).json()["recordId"]
    bundle = json.loads(system("records", "disclose", rid, "--field", "address", *LOOK).stdout)
    refused = system("records", "verify", _file(tmp_path, "b.json", {**bundle, "version": -1}), ok=False)
    assert refused.error()["code"] == "disclosure_invalid" and "version" in refused.error()["message"]
    keystore = _file(tmp_path, "k.json", {"address": "00" * 20, "crypto": {}})  # no "version"
    refused = system("records", "list", "--keystore", keystore, ok=False, LEDGER_KEYSTORE_PASSWORD="x")
    assert refused.error()["code"] == "invalid_argument" and "keystore" in refused.error()["message"]


def test_path_like_body_codes_are_refused_before_any_file_is_made(system: Any) -> None:
    outside = system.home.parent / "x.db"
    for args, env in ((("--body", "../../x"), {}), ((), {"LEDGER_BODY": "../../x"})):
        refused = system("records", "list", *args, "--dev-account", ADMIN, ok=False, **env)
        assert refused.error()["code"] in ("invalid_argument", "invalid_identifier"), refused.stderr
    assert not outside.exists() and not (system.home / "x.db").exists()
    assert not list(system.home.parent.parent.glob("x.db"))
