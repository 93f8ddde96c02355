"""`ledger consortium`: the network's files from one consortium file, as an operator generates them
(issue 12, item 1). Besu cannot run on these machines; the files are checked for what Besu reads."""

from __future__ import annotations

import json
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest

from ledger.network.qbft import decode
from tests.integration.conftest import Cli

REPO = Path(__file__).resolve().parents[2]
Generated = tuple[Cli, Path, dict[str, str]]


@pytest.fixture
def generated(tmp_path: Path) -> Generated:
    cli = Cli(tmp_path / "home", 1)
    folder = tmp_path / "node-config"
    paths = {"--file": str(folder / "consortium.toml"), "--keys": str(folder / "keys"), "--out": str(folder / "network")}
    cli("consortium", "generate", *[x for kv in paths.items() for x in kv])
    return cli, folder, paths


def test_generate_writes_keys_genesis_node_configs_allowlists_and_compose(generated: Generated) -> None:
    cli, folder, paths = generated
    file = tomllib.loads((folder / "consortium.toml").read_text())
    bodies = [b["code"] for b in file["bodies"]]
    validators = [b["code"] for b in file["bodies"] if b["validator"]]
    assert len(bodies) == 6 and len(validators) == 4
    keys = cli("consortium", "keys", "--file", paths["--file"], "--keys", paths["--keys"]).json()
    for code in bodies:  # node keys: private to their operator
        key = folder / "keys" / code / "key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        assert keys[code]["enode"] == f"enode://{(key.parent / 'key.pub').read_text()[2:]}@{code}-besu:30303"
    # the genesis names the validator bodies' node addresses, in the file's order
    genesis = json.loads((folder / "network" / "genesis.json").read_text())
    assert list(decode(genesis["extraData"]).validators) == [keys[c]["address"] for c in validators]
    assert genesis["config"]["qbft"] == {"blockperiodseconds": 2, "epochlength": 30000, "requesttimeoutseconds": 4}
    assert genesis["config"]["chainId"] == file["network"]["chain-id"]
    for code in bodies:  # each node's config and allowlists, as Besu reads them (TOML)
        config = tomllib.loads((folder / "network" / code / "config.toml").read_text())
        assert config["permissions-nodes-config-file-enabled"] and config["permissions-accounts-config-file-enabled"]
        assert config["min-gas-price"] == 0 and config["node-private-key-file"] == "/opt/besu/keys/key"
        assert config["bootnodes"] == [keys[c]["enode"] for c in validators]
        allow = tomllib.loads((folder / "network" / code / "permissions_config.toml").read_text())
        assert allow["nodes-allowlist"] == sorted(keys[c]["enode"] for c in bodies)  # before the registry exists
        assert allow["accounts-allowlist"] == file["network"]["bootstrap-accounts"]
    compose = json.loads((folder / "network" / "compose.yaml").read_text().split("\n", 2)[2])  # JSON is YAML
    assert len(compose["services"]) == 3 * len(bodies)
    for code in bodies:  # one Besu node, one Civic Ledger node and one PostgreSQL per body, each its own
        ledger = compose["services"][f"{code}-ledger"]
        assert ledger["environment"]["LEDGER_BODY"] == code
        assert ledger["environment"]["LEDGER_RPC_URL"] == f"http://{code}-besu:8545"
        assert f"@{code}-db:5432/" in ledger["environment"]["DATABASE_URL"]
        assert f"../keys/{code}:/opt/besu/keys:ro" in compose["services"][f"{code}-besu"]["volumes"]


def test_generate_again_keeps_the_keys_and_the_genesis(generated: Generated) -> None:
    cli, folder, paths = generated
    before = {p: p.read_bytes() for p in (folder / "keys").rglob("key")}
    genesis = (folder / "network" / "genesis.json").read_bytes()
    cli("consortium", "generate", *[x for kv in paths.items() for x in kv])
    assert {p: p.read_bytes() for p in (folder / "keys").rglob("key")} == before
    assert (folder / "network" / "genesis.json").read_bytes() == genesis


def test_the_repositorys_node_keys_and_generated_network_are_ignored_by_git() -> None:
    for path in ("node-config/keys/rc-east/key", "node-config/network/genesis.json"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO).returncode == 0, path
    assert subprocess.run(["git", "check-ignore", "-q", "node-config/consortium.toml"], cwd=REPO).returncode == 1


@pytest.mark.parametrize(
    "content, words",
    [
        ("[network]\nchain-id = 1\n", "no body runs a validator"),
        ('[network]\nchain-id = 1\n[[bodies]]\ncode = "a"\nvalidator = true\n[[bodies]]\ncode = "a"\n', "listed twice"),
        ('[network]\nchain-id = 1\n[[bodies]]\ncode = "Bad Code"\nvalidator = true\n', "lowercase"),
        ('[network]\n[[bodies]]\ncode = "a"\nvalidator = true\n', "chain-id"),
        ("[network\n", "not valid TOML"),
    ],
)
def test_a_bad_consortium_file_is_refused_in_words_and_writes_nothing(tmp_path: Path, content: str, words: str) -> None:
    cli = Cli(tmp_path / "home", 1)
    (tmp_path / "c.toml").write_text(content)
    r = cli(
        "consortium",
        "generate",
        "--file",
        str(tmp_path / "c.toml"),
        "--keys",
        str(tmp_path / "keys"),
        "--out",
        str(tmp_path / "out"),
        ok=False,
    )
    assert r.code == 1 and r.error()["code"] == "invalid_argument" and words in r.error()["message"]
    assert not (tmp_path / "keys").exists() and not (tmp_path / "out").exists()


def test_extradata_prints_the_documented_value(tmp_path: Path) -> None:
    from tests.consortium.test_qbft import DOC_EXTRA_DATA, DOC_VALIDATORS

    cli = Cli(tmp_path / "home", 1)
    assert cli("consortium", "extradata", *DOC_VALIDATORS).stdout.strip() == DOC_EXTRA_DATA
    r = cli("consortium", "extradata", "0x1234", ok=False)
    assert r.code == 1 and r.error()["code"] == "invalid_argument"
