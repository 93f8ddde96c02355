"""`ledger deploy` on each local node kind (anvil, Hardhat node, Ganache), and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.chain.client import Chain
from ledger.chain.compiler import CONTRACTS, compile_contracts
from ledger.chain.connection import connect
from ledger.chain.deploy import Contracts, is_deployed
from ledger.chain.manifest import Manifest
from ledger.ids import Role, code_id
from ledger.local.chain_node import LocalNode, NodeSpec
from ledger.local.devkeys import dev_account
from tests.support import free_port

pytestmark = pytest.mark.node

A, B, OFFICER = dev_account(1), dev_account(2), dev_account(3)


@pytest.fixture(params=["anvil", "hardhat", "ganache"])
def node(request: pytest.FixtureRequest, tmp_path: Path):
    local = LocalNode(tmp_path / "node-home")
    spec = local.up(NodeSpec(request.param, free_port())).spec
    yield spec
    local.down()


def test_deploy_writes_a_manifest_of_working_contracts(cli, node: NodeSpec, tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    result = cli(
        "deploy",
        "--rpc",
        node.rpc_url,
        "--dev-account",
        "0",
        "--admin",
        A.address,
        "--admin",
        B.address,
        "--founder",
        "office",
        "--manifest",
        str(path),
    )
    printed = result.json()
    manifest = Manifest.load(path)
    assert printed == manifest.to_json()
    assert tuple(manifest.contracts) == CONTRACTS
    assert manifest.chain_id == node.chain_id and manifest.deployer == dev_account(0).address

    chain = Chain(connect(node.rpc_url), compile_contracts(), manifest)
    assert is_deployed(chain, manifest)
    c = Contracts.of(chain)
    assert c.bodies.founder() == code_id("office")
    assert c.bodies.member_of(A.address) == (code_id("office"), Role.ADMIN)
    # The deployed code runs on this node: a founding admin adds an officer.
    c.bodies.add_member(chain.direct(A), OFFICER.address, Role.OFFICER)
    assert c.bodies.has_roles(OFFICER.address, Role.OFFICER)
    assert not c.bodies.has_roles(dev_account(0).address, Role.ADMIN)  # the deployer keeps no role


def test_deploy_refuses_one_admin_and_writes_nothing(cli, tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    result = cli(
        "deploy",
        "--rpc",
        "http://127.0.0.1:9",
        "--dev-account",
        "0",
        "--admin",
        A.address,
        "--manifest",
        str(path),
        ok=False,
    )
    assert result.code == 1
    assert result.error() == {
        "code": "invalid_argument",
        "message": "give at least two --admin addresses for the founding body",
    }
    assert not path.exists()


def test_deploy_reports_an_unreachable_chain(cli, tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    port = free_port()
    result = cli(
        "deploy",
        "--rpc",
        f"http://127.0.0.1:{port}",
        "--dev-account",
        "0",
        "--admin",
        A.address,
        "--admin",
        B.address,
        "--manifest",
        str(path),
        ok=False,
    )
    assert result.code == 1 and result.error()["code"] == "chain_unavailable"
    assert not path.exists()


def test_keystore_account_deploys_on_a_zero_gas_node(cli, tmp_path: Path) -> None:
    """A key made by `ledger keys new` deploys without any balance: the node charges no gas."""
    local = LocalNode(tmp_path / "zero-gas")
    spec = local.up(NodeSpec("anvil", free_port())).spec
    try:
        keyfile = tmp_path / "keys" / "deployer.json"
        env = {"LEDGER_KEYSTORE_PASSWORD": "correct horse battery"}
        made = cli("keys", "new", str(keyfile), **env)
        address = made.stdout.split()[0]
        assert oct(keyfile.stat().st_mode & 0o777) == "0o600"
        assert "0x" + json.loads(keyfile.read_text())["address"].lower() == address.lower()

        wrong = cli(
            "deploy",
            "--rpc",
            spec.rpc_url,
            "--keystore",
            str(keyfile),
            "--admin",
            A.address,
            "--admin",
            B.address,
            "--manifest",
            str(tmp_path / "m.json"),
            LEDGER_KEYSTORE_PASSWORD="wrong password",
            ok=False,
        )
        assert wrong.error()["code"] == "invalid_argument" and not (tmp_path / "m.json").exists()

        cli(
            "deploy",
            "--rpc",
            spec.rpc_url,
            "--keystore",
            str(keyfile),
            "--admin",
            A.address,
            "--admin",
            B.address,
            "--manifest",
            str(tmp_path / "m.json"),
            **env,
        )
        manifest = Manifest.load(tmp_path / "m.json")
        assert manifest.deployer.lower() == address.lower()
        w3 = connect(spec.rpc_url)
        assert w3.eth.get_balance(manifest.deployer) == 0
        assert is_deployed(Chain(w3, compile_contracts()), manifest)
    finally:
        local.down()


def test_keys_new_refuses_to_overwrite_or_weak_passwords(cli, tmp_path: Path) -> None:
    keyfile = tmp_path / "k.json"
    short = cli("keys", "new", str(keyfile), LEDGER_KEYSTORE_PASSWORD="short", ok=False)
    assert short.error()["code"] == "invalid_argument" and not keyfile.exists()
    keyfile.write_text("{}")
    again = cli("keys", "new", str(keyfile), LEDGER_KEYSTORE_PASSWORD="long enough pw", ok=False)
    assert again.error()["code"] == "invalid_argument" and keyfile.read_text() == "{}"
    no_password = cli("keys", "new", str(tmp_path / "other.json"), ok=False)  # no terminal to ask on
    assert no_password.error()["code"] == "invalid_argument" and not (tmp_path / "other.json").exists()
