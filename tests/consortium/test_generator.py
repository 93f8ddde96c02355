"""`ledger consortium`: the network's files from one consortium file, as an operator generates them
(issue 12, item 1). Besu cannot run on these machines; the files are checked for what Besu reads."""

from __future__ import annotations

import json
import os
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
    assert len(bodies) == 7 and len(validators) == 4
    keys = cli("consortium", "keys", "--file", paths["--file"], "--keys", paths["--keys"]).json()
    hosts = {code: f"172.30.0.{10 + i}" for i, code in enumerate(bodies)}  # fixed addresses: no DNS (besu#2569)
    for code in bodies:  # node keys: private to their operator
        key = folder / "keys" / code / "key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        assert keys[code]["nodeKey"] == (key.parent / "key.pub").read_text()
        assert keys[code]["enode"] == f"enode://{keys[code]['nodeKey'][2:]}@{hosts[code]}:30303"
    # the genesis names the validator bodies' node addresses, in the file's order; no base fee from block 0
    genesis = json.loads((folder / "network" / "genesis.json").read_text())
    assert list(decode(genesis["extraData"]).validators) == [keys[c]["address"] for c in validators]
    assert genesis["config"]["qbft"] == {"blockperiodseconds": 2, "epochlength": 30000, "requesttimeoutseconds": 4}
    assert genesis["config"]["chainId"] == file["network"]["chain-id"]
    assert genesis["baseFeePerGas"] == "0x0" and genesis["config"]["zeroBaseFee"] is True
    for code in bodies:  # each node's config and allowlists, as Besu reads them (TOML)
        config = tomllib.loads((folder / "network" / code / "config.toml").read_text())
        assert config["permissions-nodes-config-file-enabled"] and config["permissions-accounts-config-file-enabled"]
        assert config["min-gas-price"] == 0 and config["node-private-key-file"] == "/opt/besu/keys/key"
        assert (config["p2p-host"], config["p2p-interface"], config["nat-method"]) == (hosts[code], "0.0.0.0", "NONE")
        assert config["bootnodes"] == [keys[c]["enode"] for c in validators if c != code]
        assert not any(k.startswith("Xdns") for k in config)
        allow = tomllib.loads((folder / "network" / code / "permissions_config.toml").read_text())
        assert allow["nodes-allowlist"] == sorted(keys[c]["enode"] for c in bodies)  # before the registry exists
        assert allow["accounts-allowlist"] == file["network"]["bootstrap-accounts"]
    compose = json.loads((folder / "network" / "compose.yaml").read_text().split("\n", 1)[1])  # JSON is YAML
    assert len(compose["services"]) == 3 * len(bodies)
    assert compose["networks"]["chain"]["ipam"]["config"] == [{"subnet": "172.30.0.0/24"}]
    passwords = (folder / "network" / ".env").read_text().splitlines()
    assert len(passwords) == len(bodies) and stat.S_IMODE((folder / "network" / ".env").stat().st_mode) == 0o600
    for code in bodies:  # one Besu node, one Civic Ledger node and one PostgreSQL per body, each its own
        besu, ledger = compose["services"][f"{code}-besu"], compose["services"][f"{code}-ledger"]
        assert besu["networks"]["chain"]["ipv4_address"] == hosts[code]
        assert besu["user"] == ledger["user"] == _runs_as()
        assert ledger["environment"]["LEDGER_BODY"] == code
        assert ledger["environment"]["LEDGER_RPC_URL"] == f"http://{code}-besu:8545"
        assert f"@{code}-db:5432/" in ledger["environment"]["DATABASE_URL"]
        assert f"../keys/{code}:/opt/besu/keys:ro" in besu["volumes"]
        assert f"./{code}/ledger:/var/lib/ledger" in ledger["volumes"]
        assert any(line.startswith(code.upper().replace("-", "_") + "_DB_PASSWORD=") for line in passwords)


def _runs_as() -> str:
    """The containers run as the operator (or as the images' user 1000 when root generated the files)."""
    uid, gid = os.getuid(), os.getgid()
    return "1000:1000" if uid == 0 else f"{uid}:{gid}"


def test_each_body_on_its_own_machine_gets_its_own_compose_and_shares_only_public_keys(tmp_path: Path) -> None:
    """The runbook's steps 1–3 for two bodies, each in a folder of its own: node keys never leave their
    machine; the consortium file carries addresses and public keys; each writes its own compose file."""
    machines = {"subdistrict": tmp_path / "a", "rc-east": tmp_path / "b"}
    hosts = {"subdistrict": "10.0.0.1", "rc-east": "10.0.0.2"}
    cli = Cli(tmp_path / "home", 1)
    printed = {}
    for code, machine in machines.items():  # each body makes its node key on its machine
        (machine / "node-config").mkdir(parents=True)
        cli.cwd = machine
        cli("consortium", "init", "--empty", "--bootstrap-account", "0x" + "11" * 20)
        cli("consortium", "add", code, "--host", hosts[code], "--validator")
        printed[code] = cli("consortium", "keys", "--body", code).json()[code]
        assert (machine / "node-config/keys" / code / "key").exists()
    # a body's key that is not the one the file names is refused, not silently replaced
    (machines["rc-east"] / "node-config/consortium.toml").write_text(
        (machines["rc-east"] / "node-config/consortium.toml").read_text()
        + f'node-key = "{printed["subdistrict"]["nodeKey"]}"\n'
    )
    cli.cwd = machines["rc-east"]
    assert "is not the key in" in cli("consortium", "keys", "--body", "rc-east", ok=False).error()["message"]
    # the founder writes the whole file from what each body sent: addresses and public keys only
    cli.cwd = machines["subdistrict"]
    file = machines["subdistrict"] / "node-config/consortium.toml"
    file.unlink()
    cli("consortium", "init", "--empty", "--bootstrap-account", "0x" + "11" * 20)
    for code in machines:
        cli("consortium", "add", code, "--host", hosts[code], "--node-key", printed[code]["nodeKey"], "--validator")
    bad = cli(
        "consortium", "add", "rc-west", "--host", "rc-west.example", "--node-key", printed["rc-east"]["nodeKey"], ok=False
    )
    assert bad.code == 1 and "rc-west.example" in bad.error()["message"]
    assert "rc-west" not in file.read_text()  # a refused entry leaves the file as it was
    genesis = cli("consortium", "genesis").json()
    assert list(decode(genesis["extraData"]).validators) == [printed[c]["address"] for c in machines]
    for code, machine in machines.items():
        cli.cwd = machine
        if machine != machines["subdistrict"]:
            (machine / "node-config/consortium.toml").write_text(file.read_text())
        # the node's secrets come from its operator's environment: none there, nothing written
        missing = cli("consortium", "compose", "--body", code, ok=False, **{**SECRETS, "LEDGER_KEK_PASSWORD": ""})
        assert "LEDGER_KEK_PASSWORD" in missing.error()["message"]
        assert not (machine / "node-config/network" / code / "compose.yaml").exists()
        other = next(c for c in machines if c != code)
        refused = cli("consortium", "compose", "--body", other, ok=False, **SECRETS)
        assert "not on this machine" in refused.error()["message"]
        cli("consortium", "compose", "--body", code, **SECRETS)
        here = machine / "node-config/network" / code
        compose = json.loads((here / "compose.yaml").read_text().split("\n", 1)[1])
        assert compose["name"] == f"civic-ledger-{code}" and set(compose["services"]) == {"besu", "db", "ledger"}
        besu, ledger = compose["services"]["besu"], compose["services"]["ledger"]
        assert besu["ports"] == ["30303:30303/tcp", "30303:30303/udp", "127.0.0.1:8545:8545"]
        assert ledger["ports"] == ["8000:8000"] and besu["user"] == ledger["user"] == _runs_as()
        assert (
            f"../../keys/{code}:/opt/besu/keys:ro" in besu["volumes"]
            and "../genesis.json:/opt/besu/genesis.json:ro" in besu["volumes"]
        )
        assert ledger["environment"]["LEDGER_API_URI"] == f"http://{hosts[code]}:8000"
        assert ledger["environment"]["LEDGER_RELAYER_KEYSTORE"] == "/var/lib/ledger/node-account.json"
        assert "${DB_PASSWORD:?" in ledger["environment"]["DATABASE_URL"]
        config = tomllib.loads((here / "config.toml").read_text())
        assert config["p2p-host"] == hosts[code] and config["bootnodes"] == [printed[other]["enode"]]
        assert printed[other]["enode"].endswith(f"@{hosts[other]}:30303")
        env = (here / "ledger.env").read_text()
        assert "LEDGER_CONSORTIUM_SECRET=" + SECRETS["LEDGER_CONSORTIUM_SECRET"] in env and "LEDGER_API_TOKEN_SECRET=" in env
        for secret in (here / "ledger.env", here / ".env", here / "config.toml"):
            assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        for folder in (here, here / "ledger", here / "besu-data"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        # run again: the secrets are kept (the database was created with that password)
        before = (here / ".env").read_text(), env
        again = cli("consortium", "compose", "--body", code, **SECRETS).json()
        assert (
            str(here / "ledger.env") in [str(machine / p) for p in again["kept"]]
            or str(here / "ledger.env") in again["kept"]
        )
        assert ((here / ".env").read_text(), (here / "ledger.env").read_text()) == before


SECRETS = {
    "LEDGER_KEK_PASSWORD": "kek password for the test",
    "LEDGER_KEYSTORE_PASSWORD": "keystore password for the test",
    "LEDGER_CONSORTIUM_SECRET": "ab" * 32,
}


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
