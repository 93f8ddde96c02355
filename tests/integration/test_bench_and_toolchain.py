"""`ledger bench gas` output, and the offline toolchain: py-solc-x and Hardhat build the same bytecode."""

from __future__ import annotations

import json
import subprocess

import pytest
import solcx

from ledger.chain.compiler import CONTRACTS, compile_contracts
from ledger.toolchain import npm_bin, project_root, solc_binary


@pytest.mark.node
def test_bench_gas_reports_every_action_on_a_fresh_anvil(cli) -> None:
    figures = {f["action"]: f for f in cli("bench", "gas", "--json").json()}
    for action in (
        "register a record",
        "request access",
        "approve (creates a grant)",
        "revoke a grant",
        "assign a post (one grid)",
        "end an assignment (every grant bound to it stops)",
        "one immediate access event",
        "batch anchor of 1000 events",
    ):
        assert figures[action]["gas"] > 21_000, action
    immediate = figures["one immediate access event"]["gasPerEvent"]
    batch = figures["batch anchor of 1000 events"]
    assert batch["events"] == 1000
    assert batch["gasPerEvent"] == pytest.approx(batch["gas"] / 1000, abs=0.1)
    assert batch["gasPerEvent"] < immediate / 100  # batching is what makes a full trail affordable


def test_solc_wrapper_is_what_py_solc_x_expects() -> None:
    assert str(solcx.wrapper.get_solc_version(solc_binary())) == "0.8.28"
    from ledger.chain.compiler import standard_input

    out = solcx.compile_standard(standard_input(), solc_binary=solc_binary(), allow_paths=[str(project_root())])
    assert "AccessTrail" in out["contracts"]["contracts/AccessTrail.sol"]


def test_hardhat_compiles_the_same_bytecode_offline(tmp_path) -> None:
    root = project_root()
    subprocess.run([str(npm_bin("hardhat")), "compile", "--quiet"], cwd=root, check=True, capture_output=True, timeout=300)
    build = compile_contracts()
    artifacts = root / "build" / "hardhat" / "artifacts" / "contracts"
    for name in CONTRACTS:
        hh = json.loads((artifacts / f"{name}.sol" / f"{name}.json").read_text())
        assert hh["bytecode"].removeprefix("0x") == build[name].bytecode.removeprefix("0x"), name
        assert hh["deployedBytecode"].removeprefix("0x") == build[name].deployed_bytecode.removeprefix("0x"), name


def test_bench_cli_times_help_and_client_commands_beside_the_interpreter(cli) -> None:
    rows = {r["command"].split(" (")[0]: r for r in cli("bench", "cli", "--repeats", "1", "--json").json()}
    interpreter = rows["python -c pass"]["seconds"]
    for command in ("ledger --help", "ledger trail --code …", "ledger requests --dev-account 1"):
        assert rows[command]["seconds"] > interpreter, command  # each really ran a whole `ledger` process
        assert rows[command]["pythonWork"] == pytest.approx(rows[command]["seconds"] - interpreter, abs=0.002)


@pytest.mark.node
@pytest.mark.browser
def test_bench_consortium_pages_times_the_residents_page_and_the_consortium_dashboard_in_chromium(cli) -> None:
    figures = cli("bench", "consortium-pages", "--events", "20", "--repeats", "1", "--json").json()
    resident, dashboard = figures["resident"], figures["dashboard"]
    assert figures["nodes"] == 7 and resident["entries"] == 20  # every read is on the first page, each verified
    # both timed (two separate measurements: their order depends on the machine's load, so it is not asserted)
    assert resident["apiMs"] > 0 and resident["allVerifiedMs"] > 0 and resident["perEntryMs"] > 0
    assert dashboard["consortium"] > 0 and dashboard["oneNode"] > 0
