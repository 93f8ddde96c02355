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
* ``compose``: a compose file with, per body, a Besu node, a Civic Ledger node and a PostgreSQL.

The generated folder (default ``node-config/network``) is machine-specific (it names the keys' node
addresses) and not committed either.
"""

from __future__ import annotations

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
#: Services listen on every interface of their container: the compose network, not the bind address,
#: is the boundary (publish no port beyond it but the Civic Ledger node's, behind TLS).
ALL_INTERFACES = "0.0.0.0"  # nosec B104
CODE = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


@dataclass(frozen=True)
class BodyNode:
    code: str
    name: str
    validator: bool

    @property
    def host(self) -> str:
        return f"{self.code}-besu"


@dataclass(frozen=True)
class Consortium:
    chain_id: int
    block_period: int
    epoch_length: int
    request_timeout: int
    gas_limit: int
    bodies: tuple[BodyNode, ...]
    bootstrap_accounts: tuple[str, ...] = ()
    besu_image: str = "hyperledger/besu:25.10.0"
    postgres_image: str = "postgres:15"
    ledger_image: str = "civic-ledger:local"

    @property
    def validators(self) -> tuple[BodyNode, ...]:
        return tuple(b for b in self.bodies if b.validator)


def load(path: Path) -> Consortium:
    """The consortium file, checked; :class:`BadArgument` naming what is wrong."""
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise BadArgument(f"no consortium file at {path} (ledger consortium init writes the demo's)") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadArgument(f"{path} is not valid TOML: {exc}") from None
    net = data.get("network", {})
    try:
        bodies = tuple(
            BodyNode(str(b["code"]), str(b.get("name", b["code"])), bool(b.get("validator", False)))
            for b in data.get("bodies", [])
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
    if not c.validators:
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
    for b in demo.BODIES:
        lines += [
            "[[bodies]]",
            f'code = "{b.code}"',
            f"name = {json.dumps(b.name)}",
            f"validator = {'true' if b.code in validators else 'false'}",
            "",
        ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- keys


@dataclass(frozen=True)
class NodeKey:
    public: bytes  # 64 bytes, uncompressed without the 0x04 prefix

    @property
    def address(self) -> str:
        return to_checksum_address(keccak(self.public)[12:])

    def enode(self, host: str, port: int = P2P_PORT) -> str:
        return f"enode://{self.public.hex()}@{host}:{port}"


def write_keys(c: Consortium, folder: Path) -> dict[str, NodeKey]:
    """Each body's node key, created where missing (files 0600 in folders 0700), as Besu reads them:
    ``key`` holds the private key in hex, ``key.pub`` the public key."""
    keys = {}
    for b in c.bodies:
        d = folder / b.code
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(d, 0o700)
        path = d / "key"
        if not path.exists():
            secret = coincurve.PrivateKey()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write("0x" + secret.secret.hex())
        os.chmod(path, 0o600)
        keys[b.code] = read_key(path)
        (d / "key.pub").write_text("0x" + keys[b.code].public.hex())
    return keys


def read_key(path: Path) -> NodeKey:
    text = path.read_text().strip().removeprefix("0x")
    try:
        secret = coincurve.PrivateKey(bytes.fromhex(text))
    except ValueError:
        raise BadArgument(f"{path} is not a secp256k1 private key in hex") from None
    return NodeKey(secret.public_key.format(compressed=False)[1:])


def read_keys(c: Consortium, folder: Path) -> dict[str, NodeKey]:
    missing = [b.code for b in c.bodies if not (folder / b.code / "key").exists()]
    if missing:
        raise BadArgument(f"no node key for {missing} in {folder} (ledger consortium keys makes them)")
    return {b.code: read_key(folder / b.code / "key") for b in c.bodies}


# ---------------------------------------------------------------------------------------- genesis


def genesis(c: Consortium, validators: Iterable[str]) -> dict[str, Any]:
    """The QBFT genesis, in the form of Besu's documentation (``config.qbft`` and ``extraData``)."""
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
        "difficulty": "0x1",
        "mixHash": MIX_HASH,
        "coinbase": "0x0000000000000000000000000000000000000000",
        "alloc": {},
        "number": "0x0",
        "gasUsed": "0x0",
        "parentHash": "0x0000000000000000000000000000000000000000000000000000000000000000",
    }


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


def node_config(c: Consortium, keys: Mapping[str, NodeKey]) -> str:
    """A Besu node's ``config.toml`` (paths inside its container, see the compose file)."""
    return "# Generated by `ledger consortium allowlists`; do not edit.\n" + _toml(
        {
            "data-path": "/opt/besu/data",
            "genesis-file": "/opt/besu/genesis.json",
            "node-private-key-file": "/opt/besu/keys/key",
            "p2p-host": ALL_INTERFACES,
            "p2p-port": P2P_PORT,
            "rpc-http-enabled": True,
            "rpc-http-host": ALL_INTERFACES,
            "rpc-http-port": RPC_PORT,
            "rpc-http-api": ["ETH", "NET", "WEB3", "QBFT", "TXPOOL", "PERM"],
            "host-allowlist": ["*"],
            "min-gas-price": 0,
            "sync-mode": "FULL",
            "bootnodes": [keys[v.code].enode(v.host) for v in c.validators],
            "permissions-nodes-config-file-enabled": True,
            "permissions-nodes-config-file": "/opt/besu/permissions_config.toml",
            "permissions-accounts-config-file-enabled": True,
            "permissions-accounts-config-file": "/opt/besu/permissions_config.toml",
            "Xdns-enabled": True,
            "Xdns-update-enabled": True,  # the allowlists name nodes by compose host name
        }
    )


def bootstrap_allowlists(c: Consortium, keys: Mapping[str, NodeKey]) -> Allowlists:
    """Before the contracts exist: the file's bootstrap accounts and every body's node."""
    return Allowlists(tuple(sorted(c.bootstrap_accounts)), tuple(sorted(keys[b.code].enode(b.host) for b in c.bodies)), ())


def permissions(lists: Allowlists) -> str:
    return (
        "# Generated by `ledger consortium allowlists` from the on-chain BodyRegistry; do not edit:\n"
        "# regenerate after each admission or removal vote.\n"
        + _toml({"accounts-allowlist": lists.accounts, "nodes-allowlist": lists.nodes})
    )


# ---------------------------------------------------------------------------------------- compose


def compose(c: Consortium) -> str:
    """The compose file: per body a Besu node, a Civic Ledger node and a PostgreSQL (JSON is YAML)."""
    services: dict[str, Any] = {}
    volumes: dict[str, dict[str, Any]] = {}
    for b in c.bodies:
        db_password = f"${{{b.code.upper().replace('-', '_')}_DB_PASSWORD:?set it in node-config/network/.env}}"
        services[b.host] = {
            "image": c.besu_image,
            "command": ["--config-file=/opt/besu/config.toml"],
            "volumes": [
                f"./{b.code}/config.toml:/opt/besu/config.toml:ro",
                f"./{b.code}/permissions_config.toml:/opt/besu/permissions_config.toml",
                "./genesis.json:/opt/besu/genesis.json:ro",
                f"../keys/{b.code}:/opt/besu/keys:ro",
                f"{b.code}-chain:/opt/besu/data",
            ],
            "restart": "unless-stopped",
        }
        services[f"{b.code}-db"] = {
            "image": c.postgres_image,
            "environment": {"POSTGRES_USER": "ledger", "POSTGRES_DB": "ledger", "POSTGRES_PASSWORD": db_password},
            "volumes": [f"{b.code}-db:/var/lib/postgresql/data"],
            "restart": "unless-stopped",
        }
        services[f"{b.code}-ledger"] = {
            "image": c.ledger_image,
            "command": ["ledger", "serve", "--host", ALL_INTERFACES, "--port", str(API_PORT)],
            "environment": {
                "LEDGER_BODY": b.code,
                "LEDGER_ENVIRONMENT": "production",
                "LEDGER_RPC_URL": f"http://{b.host}:{RPC_PORT}",
                "LEDGER_HOME": "/var/lib/ledger",
                "DATABASE_URL": f"postgresql://ledger:{db_password}@{b.code}-db:5432/ledger",
            },
            # the node's secrets (key-encryption keys, consortium secret, node account), written by its
            # operator: docs/CONSORTIUM.md
            "env_file": [f"./{b.code}/ledger.env"],
            "volumes": [f"{b.code}-ledger:/var/lib/ledger"],
            "depends_on": [b.host, f"{b.code}-db"],
            "restart": "unless-stopped",
        }
        volumes.update({f"{b.code}-chain": {}, f"{b.code}-db": {}, f"{b.code}-ledger": {}})
    return (
        "# Generated by `ledger consortium compose`; one Besu node, one Civic Ledger node and one\n"
        "# PostgreSQL per body. docs/CONSORTIUM.md says how to start it.\n"
        + json.dumps({"name": "civic-ledger", "services": services, "volumes": volumes}, indent=2)
        + "\n"
    )


# --------------------------------------------------------------------------------------- together


def write_network(c: Consortium, keys: Mapping[str, NodeKey], out: Path, lists: Allowlists) -> list[Path]:
    """Writes the genesis, every node's config and allowlists, and the compose file into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "genesis.json", out / "compose.yaml"]
    written[0].write_text(json.dumps(genesis(c, [keys[v.code].address for v in c.validators]), indent=2) + "\n")
    written[1].write_text(compose(c))
    for b in c.bodies:
        (out / b.code).mkdir(exist_ok=True)
        (out / b.code / "config.toml").write_text(node_config(c, keys))
        (out / b.code / "permissions_config.toml").write_text(permissions(lists))
        written += [out / b.code / "config.toml", out / b.code / "permissions_config.toml"]
    return written
