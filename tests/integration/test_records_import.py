"""Writes in flight together (issue 11): concurrent `records add` by one officer, and `records import` of a
backlog, killed midway and run again. Every record is registered once, and no transaction of the officer
is sent twice (none reverts)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from ledger.chain.connection import connect
from ledger.crypto.subjects import check_character
from ledger.local.devkeys import dev_account
from tests.integration.conftest import LEDGER, Cli
from tests.integration.test_records_cli import FIELDS, OFFICER, _contracts, _db_rows, _file, _record
from tests.support import free_port

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    cli = Cli(tmp_path_factory.mktemp("records-import") / "home", free_port())
    cli("up")
    yield cli
    cli("node", "down", ok=False)


def national_id(i: int) -> str:
    first17 = f"110105{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
    return first17 + check_character(first17)


def backlog(tmp_path: Path, n: int, name: str = "backlog.jsonl", *, start: int = 0) -> Path:
    """A committee's backlog of ``n`` records (the same file twice is the same import: ids from its hash)."""
    path = tmp_path / name
    path.write_text(
        "\n".join(
            json.dumps({"category": "household", "nationalId": national_id(i), "fields": {**FIELDS, "members": 1 + i % 7}})
            for i in range(start, start + n)
        )
        + "\n"
    )
    return path


def officer_transactions(w3: Web3, first_block: int) -> list[int]:
    """Status of every transaction the officer sent from ``first_block`` on."""
    officer = dev_account(int(OFFICER)).address
    statuses = []
    for n in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["from"] == officer:  # type: ignore[index]
                statuses.append(int(w3.eth.get_transaction_receipt(tx["hash"])["status"]))  # type: ignore[index]
    return statuses


def registrations(system: Cli, record_ids: list[str]) -> dict[str, int]:
    logs = _contracts(system).records.handle.logs("RecordRegistered")
    counts = {rid: 0 for rid in record_ids}
    for log in logs:
        rid = "0x" + bytes(log["recordId"]).hex()
        if rid in counts:
            counts[rid] += 1
    return counts


def test_concurrent_adds_by_one_officer_register_each_record_once(system: Cli, tmp_path: Path) -> None:
    w3 = connect(system.rpc_url)
    start = w3.eth.block_number + 1
    files = [_file(tmp_path, f"r{i}.json", _record(nationalId=national_id(900 + i))) for i in range(4)]
    procs = [
        subprocess.Popen(
            [str(LEDGER), "records", "add", f, "--dev-account", OFFICER],
            env=system.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [o[1][-500:] for o in outs]
    added = [json.loads(o[0]) for o in outs]
    assert all(a["versions"][0]["anchorState"] == "anchored" for a in added)
    assert registrations(system, [a["recordId"] for a in added]) == {a["recordId"]: 1 for a in added}
    statuses = officer_transactions(w3, start)
    assert statuses == [1] * 4  # one transaction a record, none sent twice (a duplicate would revert)


@pytest.mark.parametrize("failpoint", ["store.after_commit", "anchor.after_send"])
def test_an_import_killed_midway_finishes_when_run_again_registering_each_record_once(
    system: Cli, tmp_path: Path, failpoint: str
) -> None:
    w3 = connect(system.rpc_url)
    start = w3.eth.block_number + 1
    n = 450  # more than one staging and one sending chunk
    path = backlog(tmp_path, n, f"backlog-{failpoint}.jsonl", start=0 if failpoint == "store.after_commit" else n)
    before = _db_rows(system, "SELECT COUNT(*) FROM records")[0][0]
    crashed = system("records", "import", str(path), "--dev-account", OFFICER, ok=False, LEDGER_FAILPOINTS=failpoint)
    assert crashed.code == -9  # killed there, as a power cut would
    staged_at_crash = _db_rows(system, "SELECT COUNT(*) FROM records")[0][0] - before
    assert 0 < staged_at_crash <= n

    done = system("records", "import", str(path), "--dev-account", OFFICER).json()
    assert (done["records"], done["failed"], done["pending"]) == (n, [], 0)
    assert done["staged"] + done["alreadyStaged"] == n and done["alreadyStaged"] == staged_at_crash
    assert _db_rows(system, "SELECT COUNT(*) FROM records")[0][0] - before == n  # none staged twice
    rows = _db_rows(
        system,
        "SELECT v.record_id, v.anchor_state FROM record_versions v JOIN anchor_outbox o "
        "ON o.record_id = v.record_id WHERE o.created_at >= (SELECT MIN(created_at) FROM "
        f"anchor_outbox WHERE record_id IN (SELECT record_id FROM records ORDER BY created_at "
        f"DESC LIMIT {n}))",
    )
    ids = sorted({r[0] for r in rows})
    assert len(ids) >= n and all(state == "anchored" for _, state in rows)
    assert set(registrations(system, ids).values()) == {1}  # each on the chain once
    assert 0 not in officer_transactions(w3, start)  # nothing sent twice: no duplicate reverted
    again = system("records", "import", str(path), "--dev-account", OFFICER).json()
    assert (again["staged"], again["anchored"]) == (0, 0)  # a third run finds nothing to do


def test_a_bad_line_imports_nothing_and_names_the_line(system: Cli, tmp_path: Path) -> None:
    path = backlog(tmp_path, 5, "bad.jsonl", start=5000)
    lines = path.read_text().splitlines()
    lines[2] = json.dumps({"category": "household", "nationalId": "110105198507044410", "fields": FIELDS})
    lines[3] = "{not json"
    path.write_text("\n".join(lines) + "\n")
    before = _db_rows(system, "SELECT COUNT(*) FROM records")
    head = connect(system.rpc_url).eth.block_number
    result = system("records", "import", str(path), "--dev-account", OFFICER, ok=False)
    error: dict[str, Any] = result.error()
    assert result.code == 1 and error["code"] == "invalid_record"
    assert "line 3" in error["message"] and "line 4: not JSON" in error["message"], error
    assert _db_rows(system, "SELECT COUNT(*) FROM records") == before
    assert connect(system.rpc_url).eth.block_number == head
