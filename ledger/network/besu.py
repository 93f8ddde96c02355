"""The production network: one Besu QBFT node, one Civic Ledger node and one PostgreSQL per body.

From one consortium file (``node-config/consortium.toml``: the chain's parameters and the bodies,
which of them run a validator) this package writes, as ``ledger consortium`` commands:

* ``keys``: each body's Besu node key (``keys/<body>/key``, 0600; ``.gitignore`` keeps it out of the
  repository) and its public key; a key that exists is kept;
* ``genesis``: the QBFT genesis (:mod:`ledger.network.qbft`: the validators are the node
  addresses of the validator bodies' keys), zero base fee, no pre-deployed contracts: the
  contracts are deployed by a first-run step (``ledger deploy`` against the first node), as on the
  local chain, so one code path deploys everywhere;
* ``allowlists``: each node's ``config.toml`` and ``permissions_config.toml``; the accounts and
  nodes allowlists come from the on-chain registry when ``--rpc`` names a node
  (:mod:`ledger.network.registry`), else from the file's bootstrap entries and the validators;
* ``compose``: a compose file with, per body, a Besu node, a Civic Ledger node and a PostgreSQL, all on
  one host; with ``--body`` one body's own compose file, for its own machine.

Every Besu node is reached at an IP address: the one its body's entry gives (``host``, its machine's
address), or on the single-host compose network a fixed address in :data:`SUBNET`. Enode URLs, bootnodes
and the nodes allowlist name those addresses, and each node advertises its own (``p2p-host``), so no
node depends on DNS (a name Besu cannot resolve when it starts is pinned to 127.0.0.1, besu#2569).

The containers run as the operator who generated the files (their uid and gid, or 1000 when root
generated them, chowned): the files Besu and the node read are theirs, secrets 0600, folders 0700.

The generated folder (default ``node-config/network``) is machine-specific (it names the keys' node
addresses) and not committed either.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import coincurve
from eth_utils import keccak, to_checksum_address

from ledger.errors import BadArgument
from ledger.network.qbft import genesis_extra_data
from ledger.network.registry import Allowlists

#: Besu's mixHash for BFT blocks ("Istanbul" consensus digest), as in every documented QBFT genesis.
MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
P2P_PORT, RPC_PORT, API_PORT = 30303, 8545, 8000
#: Services listen on every interface of their container: the published ports, not the bind address,
#: are the boundary (P2P to the other bodies, the node's API behind TLS, RPC to this machine only).
ALL_INTERFACES = "0.0.0.0"  # nosec B104
CODE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
PUBLIC_KEY = re.compile(r"^0x[0-9a-f]{128}$")
#: The single-host compose network: body i's Besu node at .10+i.
SUBNET = ipaddress.ip_network("172.30.0.0/24")
#: QBFT with Shanghai (PUSH0, which our contracts use) is broken in Besu 26.1.x and fixed in 26.2.0.
BESU_IMAGE = "hyperledger/besu:26.2.0"
#: The image's own user, whom the containers run as when root generated the files.
IMAGE_UID = 1000


@dataclass(frozen=True)
class BodyNode:
    code: str
    name: str
    validator: bool
    host: str  # the IP address other bodies' Besu nodes reach this one at; it advertises it (p2p-host)
    node_key: str | None = None  # its Besu node's public key (0x + 128 hex), when its key is on another machine


@dataclass(frozen=True)
class Consortium:
    chain_id: int
    block_period: int
    epoch_length: int
    request_timeout: int
    gas_limit: int
    bodies: tuple[BodyNode, ...]
    bootstrap_accounts: tuple[str, ...] = ()
    besu_image: str = BESU_IMAGE
    postgres_image: str = "postgres:15"
    ledger_image: str = "civic-ledger:local"

    @property
    def validators(self) -> tuple[BodyNode, ...]:
        return tuple(b for b in self.bodies if b.validator)

    @property
    def single_host(self) -> bool:
        """No body names its machine's address: every node runs on this host's compose network."""
        return all(ipaddress.ip_address(b.host) in SUBNET for b in self.bodies)

    def body(self, code: str) -> BodyNode:
        for b in self.bodies:
            if b.code == code:
                return b
        raise BadArgument(f"no body {code!r} in the consortium file (its bodies: {', '.join(b.code for b in self.bodies)})")


def load(path: Path, *, complete: bool = True) -> Consortium:
    """The consortium file, checked; :class:`BadArgument` naming what is wrong. ``complete``: it must name
    a validator (a file being written body by body need not yet)."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadArgument(f"no consortium file at {path} (ledger consortium init writes the demo's)") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadArgument(f"{path} is not valid TOML: {exc}") from None
    net = data.get("network", {})
    try:
        entries = data.get("bodies", [])
        if len(entries) > 200:
            raise ValueError("at most 200 bodies")
        bodies = tuple(
            BodyNode(
                str(b["code"]),
                str(b.get("name", b["code"])),
                bool(b.get("validator", False)),
                str(ipaddress.ip_address(b.get("host") or SUBNET[10 + i])),
                str(b["node-key"]).lower() if b.get("node-key") else None,
            )
            for i, b in enumerate(entries)
        )
        c = Consortium(
            chain_id=int(net["chain-id"]),
            block_period=int(net.get("block-period-seconds", 2)),
            epoch_length=int(net.get("epoch-length", 30_000)),
            request_timeout=int(net.get("request-timeout-seconds", 4)),
            gas_limit=int(net.get("gas-limit", 0x1FFFFFFFFFFFFF)),
            bodies=bodies,
            bootstrap_accounts=tuple(to_checksum_address(a) for a in net.get("bootstrap-accounts", [])),
            besu_image=str(net.get("besu-image", Consortium.besu_image)),
            postgres_image=str(net.get("postgres-image", Consortium.postgres_image)),
            ledger_image=str(net.get("ledger-image", Consortium.ledger_image)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadArgument(f"{path}: {exc!r} (see node-config/README.md for the fields)") from None
    problems = [b.code for b in c.bodies if not CODE.match(b.code)]
    if problems:
        raise BadArgument(f"{path}: body codes are lowercase letters, digits and '-': {problems}")
    if len({b.code for b in c.bodies}) != len(c.bodies):
        raise BadArgument(f"{path}: a body is listed twice")
    if len({b.host for b in c.bodies}) != len(c.bodies):
        raise BadArgument(f"{path}: two bodies give the same host address; each Besu node has its own")
    given = [bool(e.get("host")) for e in data.get("bodies", [])]
    if any(given) and not all(given):
        raise BadArgument(f"{path}: give every body its host (its machine's IP address), or none (one host runs them all)")
    bad_keys = [b.code for b in c.bodies if b.node_key is not None and not PUBLIC_KEY.match(b.node_key)]
    if bad_keys:
        raise BadArgument(f"{path}: node-key of {bad_keys} is not a public key (0x and 128 hex, as `keys` prints it)")
    if complete and not c.validators:
        raise BadArgument(f"{path}: no body runs a validator (validator = true)")
    if c.block_period < 1 or c.request_timeout <= c.block_period or c.epoch_length < 1 or c.chain_id < 1:
        raise BadArgument(f"{path}: block period >= 1 s, request timeout above it, epoch and chain id >= 1")
    return c


def demo_file() -> str:
    """The consortium file of the demo's bodies: every body runs a node; four of them validate (QBFT
    tolerates one faulty validator in four)."""
    from ledger.local import demo
    from ledger.local.devkeys import dev_account

    lines = [
        "# The consortium: the chain's parameters and one node per body (ledger consortium --help).",
        "# Generated from the demo's bodies by `ledger consortium init`; edit it for a real deployment.",
        "",
        "[network]",
        "chain-id = 2026",
        "block-period-seconds = 2",
        "epoch-length = 30000",
        "request-timeout-seconds = 4",
        "gas-limit = 9007199254740991  # 0x1fffffffffffff: no gas limit in practice",
        f'besu-image = "{Consortium.besu_image}"',
        f'postgres-image = "{Consortium.postgres_image}"',
        f'ledger-image = "{Consortium.ledger_image}"',
        "# May send transactions before the registry says who may: the deployer of the contracts.",
        "# (The demo's deployer is a WELL-KNOWN DEVELOPMENT account; use your own.)",
        f'bootstrap-accounts = ["{dev_account(demo.DEPLOYER).address}"]',
        "",
    ]
    validators = {"subdistrict", "rc-east", "civil-affairs", "public-security"}
    lines += [
        "# One [[bodies]] entry per body. Without `host`, every node runs on this host's compose network;",
        "# on machines of their own, give each body `host` (its machine's IP address) and `node-key` (its",
        "# Besu node's public key): `ledger consortium add` writes such an entry.",
        "",
    ]
    for b in demo.BODIES:
        lines += [
            "[[bodies]]",
            f'code = "{b.code}"',
            f"name = {json.dumps(b.name)}",
            f"validator = {'true' if b.code in validators else 'false'}",
            "",
        ]
    return "\n".join(lines)


def empty_file(chain_id: int, bootstrap: Iterable[str]) -> str:
    """A consortium file with the network alone; ``ledger consortium add`` appends each body."""
    accounts = ", ".join(json.dumps(to_checksum_address(a)) for a in bootstrap)
    return "\n".join(
        [
            "# The consortium: the chain's parameters and one node per body (ledger consortium --help).",
            "",
            "[network]",
            f"chain-id = {chain_id}",
            "block-period-seconds = 2",
            "epoch-length = 30000",
            "request-timeout-seconds = 4",
            "gas-limit = 9007199254740991  # 0x1fffffffffffff: no gas limit in practice",
            f'besu-image = "{Consortium.besu_image}"',
            f'postgres-image = "{Consortium.postgres_image}"',
            f'ledger-image = "{Consortium.ledger_image}"',
            "# May send transactions before the registry says who may: the deployer of the contracts.",
            f"bootstrap-accounts = [{accounts}]",
            "",
        ]
    )


def body_entry(code: str, name: str, validator: bool, host: str, node_key: str | None) -> str:
    """A ``[[bodies]]`` entry of a body on its own machine."""
    return "\n".join(
        [
            "[[bodies]]",
            f"code = {json.dumps(code)}",
            f"name = {json.dumps(name)}",
            f"validator = {'true' if validator else 'false'}",
            f"host = {json.dumps(host)}",
            *([f"node-key = {json.dumps(node_key)}"] if node_key else []),
            "",
        ]
    )


# ------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class NodeKey:
    public: bytes  # 64 bytes, uncompressed without the 0x04 prefix

    @property
    def address(self) -> str:
        return to_checksum_address(keccak(self.public)[12:])

    @property
    def public_hex(self) -> str:
        return "0x" + self.public.hex()

    def enode(self, host: str, port: int = P2P_PORT) -> str:
        return f"enode://{self.public.hex()}@{host}:{port}"


def write_keys(c: Consortium, folder: Path, only: Iterable[str] | None = None) -> dict[str, NodeKey]:
    """The node keys of ``only`` these bodies (default: every body), created where missing."""
    codes = set(only) if only is not None else {b.code for b in c.bodies}
    return {b.code: write_key(folder, b.code, b.node_key) for b in c.bodies if b.code in codes}


def write_key(folder: Path, code: str, expected: str | None = None) -> NodeKey:
    """``code``'s node key, created unless it exists, as Besu reads it: ``key`` holds the private key in hex
    (0600, in a 0700 folder), ``key.pub`` the public key; ``expected``: the public key the consortium file
    names for it, which the key must be."""
    if not CODE.match(code):
        raise BadArgument(f"{code!r} is not a body code (lowercase letters, digits and '-')")
    d = folder / code
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(d, 0o700)
    path = d / "key"
    if not path.exists():
        secret = coincurve.PrivateKey()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("0x" + secret.secret.hex())
    os.chmod(path, 0o600)
    if os.getuid() == 0:  # the Besu container runs as the image's user: its key is theirs alone
        os.chown(d, IMAGE_UID, IMAGE_UID)
        os.chown(path, IMAGE_UID, IMAGE_UID)
    key = read_key(path)
    if expected is not None and expected != key.public_hex:
        raise BadArgument(f"the consortium file's node-key of {code} is not the key in {path}")
    (d / "key.pub").write_text(key.public_hex)
    return key


def read_key(path: Path) -> NodeKey:
    text = path.read_text().strip().removeprefix("0x")
    try:
        secret = coincurve.PrivateKey(bytes.fromhex(text))
    except ValueError:
        raise BadArgument(f"{path} is not a secp256k1 private key in hex") from None
    return NodeKey(secret.public_key.format(compressed=False)[1:])


def read_keys(c: Consortium, folder: Path) -> dict[str, NodeKey]:
    """Every body's node public key: the consortium file's ``node-key`` (the key stays on its body's
    machine), else the private key in ``folder`` (one host generates them all)."""
    keys, missing = {}, []
    for b in c.bodies:
        if b.node_key is not None:
            keys[b.code] = NodeKey(bytes.fromhex(b.node_key[2:]))
        elif (folder / b.code / "key").exists():
            keys[b.code] = read_key(folder / b.code / "key")
        else:
            missing.append(b.code)
    if missing:
        raise BadArgument(
            f"no node key for {missing}: on each one's machine `ledger consortium keys --body CODE` makes it and prints "
            f"its node-key for the consortium file (on one host, `ledger consortium keys` makes them all in {folder})"
        )
    return keys


# ---------------------------------------------------------------------------------------- genesis


def genesis(c: Consortium, validators: Iterable[str]) -> dict[str, Any]:
    """The QBFT genesis, in the form of Besu's documentation (``config.qbft`` and ``extraData``); zero base
    fee from block 0 on (``baseFeePerGas`` 0 with ``zeroBaseFee``)."""
    return {
        "config": {
            "chainId": c.chain_id,
            "berlinBlock": 0,
            "londonBlock": 0,
            "shanghaiTime": 0,
            "zeroBaseFee": True,
            "qbft": {
                "blockperiodseconds": c.block_period,
                "epochlength": c.epoch_length,
                "requesttimeoutseconds": c.request_timeout,
            },
        },
        "nonce": "0x0",
        "timestamp": "0x0",
        "extraData": genesis_extra_data(list(validators)),
        "gasLimit": hex(c.gas_limit),
        "baseFeePerGas": "0x0",
        "difficulty": "0x1",
        "mixHash": MIX_HASH,
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {},
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
    }


def genesis_json(c: Consortium, keys: Mapping[str, NodeKey]) -> str:
    return json.dumps(genesis(c, [keys[v.code].address for v in c.validators]), indent=2) + "\n"


# ------------------------------------------------------------------------------------ node configs


def _toml(values: Mapping[str, Any]) -> str:
    out = []
    for key, value in values.items():
        if isinstance(value, bool):
            out.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, int):
            out.append(f"{key}={value}")
        elif isinstance(value, str):
            out.append(f"{key}={json.dumps(value)}")
        else:
            out.append(f"{key}=[" + ",".join(json.dumps(str(v)) for v in value) + "]")
    return "\n".join(out) + "\n"


def enodes(c: Consortium, keys: Mapping[str, NodeKey], bodies: Iterable[BodyNode]) -> list[str]:
    return [keys[b.code].enode(b.host) for b in bodies]


def node_config(c: Consortium, keys: Mapping[str, NodeKey], body: BodyNode) -> str:
    """``body``'s Besu ``config.toml`` (paths inside its container, see the compose files): it listens on
    every interface and advertises its own address; the other validators are its bootnodes."""
    return "# Generated by `ledger consortium`; do not edit.\n" + _toml(
        {
            "data-path": "/opt/besu/data",
            "genesis-file": "/opt/besu/genesis.json",
            "node-private-key-file": "/opt/besu/keys/key",
            "p2p-host": body.host,
            "p2p-interface": ALL_INTERFACES,
            "p2p-port": P2P_PORT,
            "nat-method": "NONE",
            "rpc-http-enabled": True,
            "rpc-http-host": ALL_INTERFACES,
            "rpc-http-port": RPC_PORT,
            "rpc-http-api": ["ETH", "NET", "WEB3", "QBFT", "TXPOOL", "PERM"],
            "host-allowlist": ["*"],
            "min-gas-price": 0,
            "sync-mode": "FULL",
            "bootnodes": enodes(c, keys, [v for v in c.validators if v.code != body.code]),
            "permissions-nodes-config-file-enabled": True,
            "permissions-nodes-config-file": "/opt/besu/permissions_config.toml",
            "permissions-accounts-config-file-enabled": True,
            "permissions-accounts-config-file": "/opt/besu/permissions_config.toml",
        }
    )


def bootstrap_allowlists(c: Consortium, keys: Mapping[str, NodeKey]) -> Allowlists:
    """Before the contracts exist: the file's bootstrap accounts and every body's node."""
    return Allowlists(tuple(sorted(c.bootstrap_accounts)), tuple(sorted(enodes(c, keys, c.bodies))), ())


def permissions(lists: Allowlists) -> str:
    return (
        "# Generated by `ledger consortium allowlists` from the on-chain BodyRegistry; do not edit:\n"
        "# regenerate after each admission or removal vote and each member change.\n"
        + _toml({"accounts-allowlist": lists.accounts, "nodes-allowlist": lists.nodes})
    )
