"""The allowlists come from the on-chain registry and follow its votes (issue 12, item 1): an operator
runs `ledger consortium allowlists --rpc URL` against the demo's chain after an admission and a removal."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.bodies import BodyProfile
from ledger.chain.deploy import Contracts
from ledger.config import Settings
from ledger.errors import BadArgument
from ledger.ids import BodyKind, Role, code_id
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain
from ledger.network.registry import format_endpoint, parse_endpoint
from tests.integration.conftest import Cli
from tests.support import free_port

NEW = code_id("district-health")
NEW_ADMINS = (27, 28)  # dev accounts the demo does not use
SUBDISTRICT_ADMIN, RC_EAST_ADMIN, RC_WEST_ADMIN, CA_ADMIN, PS_ADMIN = 1, 4, 7, 10, 13
RC_EAST_OFFICER, DEPLOYER = 6, 0
ENODE = "enode://" + "ab" * 64 + "@rc-east-besu:30303"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cli, Path]]:
    tmp = tmp_path_factory.mktemp("allowlists")
    cli = Cli(tmp / "home", free_port())
    cli("up")
    cli("consortium", "init", "--file", str(tmp / "consortium.toml"))
    cli("consortium", "keys", "--file", str(tmp / "consortium.toml"), "--keys", str(tmp / "keys"))
    yield cli, tmp
    cli("node", "down", ok=False)


def _allowlists(cli: Cli, tmp: Path) -> tuple[set[str], set[str]]:
    out = cli(
        "consortium",
        "allowlists",
        "--file",
        str(tmp / "consortium.toml"),
        "--keys",
        str(tmp / "keys"),
        "--out",
        str(tmp / "network"),
        "--rpc",
        cli.rpc_url,
    ).json()
    assert out["source"] == "registry"
    written = tomllib.loads((tmp / "network" / "rc-east" / "permissions_config.toml").read_text())
    assert (written["accounts-allowlist"], written["nodes-allowlist"]) == (out["accounts"], out["nodes"])
    same = tomllib.loads((tmp / "network" / "auditor" / "permissions_config.toml").read_text())
    assert same == written  # every node of the network allows the same
    return set(out["accounts"]), set(out["nodes"])


def test_allowlists_follow_admission_publication_removal_and_member_removal(system: tuple[Cli, Path]) -> None:
    cli, tmp = system
    c = Contracts.of(open_chain(Settings(home=cli.home, node_port=cli.port)))
    act = lambda i: c.chain.direct(dev_account(i))  # noqa: E731
    demo_members = {
        dev_account(i).address
        for i in (
            1,
            2,
            3,
            20,
            4,
            5,
            6,
            21,
            26,
            30,
            7,
            8,
            9,
            22,
            10,
            11,
            12,
            23,
            31,
            13,
            14,
            15,
            24,
            16,
            17,
            18,
            25,
            33,
            34,
            35,
            36,
        )
    }
    validators = {
        line["enode"]
        for line in cli("consortium", "keys", "--file", str(tmp / "consortium.toml"), "--keys", str(tmp / "keys"))
        .json()
        .values()
        if line["validator"]
    }

    accounts, nodes = _allowlists(cli, tmp)
    assert accounts == demo_members | {dev_account(DEPLOYER).address}  # the members, and the file's bootstrap
    assert nodes == validators  # no body has published its node yet

    # rc-east publishes its node; the allowlists let it connect
    c.bodies.update_profile(act(RC_EAST_ADMIN), b"", format_endpoint("https://ledger.rc-east.example", ENODE))
    assert _allowlists(cli, tmp)[1] == validators | {ENODE}

    # an admission vote: the new body's admins may send transactions once it is admitted, not before
    deadline = c.chain.timestamp() + 86_400
    pid = c.bodies.propose_admission(
        act(SUBDISTRICT_ADMIN), NEW, BodyProfile(BodyKind.DEPARTMENT), [dev_account(i).address for i in NEW_ADMINS], deadline
    )
    c.bodies.vote(act(RC_EAST_ADMIN), pid)
    assert not {dev_account(i).address for i in NEW_ADMINS} & _allowlists(cli, tmp)[0]
    c.bodies.vote(act(RC_WEST_ADMIN), pid)
    c.bodies.vote(act(CA_ADMIN), pid)
    assert c.bodies.is_active(NEW)
    accounts, _ = _allowlists(cli, tmp)
    assert {dev_account(i).address for i in NEW_ADMINS} <= accounts

    # a removal vote takes them out again; a removed member likewise
    pid = c.bodies.propose_removal(act(SUBDISTRICT_ADMIN), NEW, deadline)
    for admin in (RC_EAST_ADMIN, RC_WEST_ADMIN, CA_ADMIN, PS_ADMIN):  # a majority of the eight bodies
        c.bodies.vote(act(admin), pid)
    assert not c.bodies.is_active(NEW)
    c.bodies.remove_member(act(RC_EAST_ADMIN), dev_account(RC_EAST_OFFICER).address)
    accounts, nodes = _allowlists(cli, tmp)
    assert accounts == demo_members - {dev_account(RC_EAST_OFFICER).address} | {dev_account(DEPLOYER).address}
    assert nodes == validators | {ENODE}
    assert c.bodies.member_of(dev_account(PS_ADMIN).address)[1] & Role.ADMIN  # others untouched


def test_a_body_endpoint_names_one_api_url_and_one_enode() -> None:
    assert parse_endpoint(f"https://n.example:8443/ {ENODE}") == parse_endpoint(f"{ENODE} https://n.example:8443")
    assert parse_endpoint("https://n.example").enode is None and parse_endpoint("").api is None
    for bad in ("ftp://x", f"{ENODE} {ENODE}", "enode://abc@h:1", "https://a https://b", f"{ENODE}x"):
        with pytest.raises(BadArgument):
            parse_endpoint(bad)
