"""`ledger up`: the local system from nothing, idempotent, and persistent across node restarts."""

from __future__ import annotations

import re

import pytest

from ledger.chain.client import Chain
from ledger.chain.compiler import compile_contracts
from ledger.chain.connection import connect
from ledger.chain.deploy import Contracts
from ledger.chain.manifest import Manifest
from ledger.ids import Role, code_id
from ledger.local import demo
from ledger.local.devkeys import dev_account

pytestmark = pytest.mark.node


def _steps_done(stdout: str) -> int:
    match = re.search(r"(\d+) demo steps done now", stdout)
    assert match, stdout
    return int(match.group(1))


def test_up_deploys_builds_the_demo_and_reruns_as_a_no_op(cli) -> None:
    first = cli("up")
    assert "deployed now" in first.stdout
    assert _steps_done(first.stdout) > 0
    manifest = Manifest.load(cli.home / "manifest.json")

    chain = Chain(connect(cli.rpc_url), compile_contracts(), manifest)
    c = Contracts.of(chain)
    for body in demo.BODIES:
        assert c.bodies.is_active(body.id), body.code
        for index in body.admins:
            assert c.bodies.member_of(dev_account(index).address) == (body.id, Role.ADMIN)
    assert c.bodies.founder() == code_id(demo.FOUNDER)
    head = chain.block_number()

    again = cli("up")
    assert "deployment reused" in again.stdout
    assert _steps_done(again.stdout) == 0
    assert Manifest.load(cli.home / "manifest.json") == manifest
    assert chain.block_number() == head  # nothing was sent


def test_state_survives_node_down_and_up(cli) -> None:
    cli("up")
    manifest = Manifest.load(cli.home / "manifest.json")
    assert "block" in cli("node", "status").stdout
    assert cli("node", "down").stdout.strip() == "node stopped"
    down = cli("node", "status", ok=False)
    assert down.code == 3 and "no local node is running" in down.stdout

    again = cli("up")
    assert "deployment reused" in again.stdout
    assert _steps_done(again.stdout) == 0
    chain = Chain(connect(cli.rpc_url), compile_contracts(), manifest)
    assert all(Contracts.of(chain).bodies.is_active(b.id) for b in demo.BODIES)


def test_up_refuses_a_port_another_program_holds(cli) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", cli.port))
        holder.listen()
        result = cli("up", ok=False)
    assert result.code == 1
    error = result.error()
    assert error["code"] == "node" and str(cli.port) in error["message"]
    assert not (cli.home / "manifest.json").exists()


def test_bad_option_values_are_refused_with_a_json_error(cli) -> None:
    result = cli("up", "--kind", "besu", ok=False)
    assert result.code == 1
    assert result.error()["code"] == "invalid_argument"
    assert not (cli.home / "node").exists()
    negative = cli("up", "--block-time", "-1", ok=False)
    assert negative.error()["code"] == "invalid_argument"
