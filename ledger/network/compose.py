"""The consortium's compose files: every body on one host, or one body on its own machine.

Each body runs three services: its Besu node, its PostgreSQL and its Civic Ledger node. Their files
live in the body's folder of the generated network (``node-config/network/<body>/``):

* ``config.toml``, ``permissions_config.toml``: what Besu reads (with ``../genesis.json`` and the
  body's node key, mounted read-only from the keys folder);
* ``besu-data/``: the chain's database; ``ledger/``: the node's home (``/var/lib/ledger`` in its
  container), where its operator puts its keyring (``keyring.json``), its node account's keystore
  (``node-account.json``) and the deployment's manifest (``manifest.json``);
* ``ledger.env``: the node's secrets; ``.env``: the database password (compose reads it).

The Besu and Civic Ledger containers run as the operator who generated the files, so what they read is
the operator's and stays private to them (secrets 0600, folders 0700); when root generates them they
run as the images' user 1000 and the files are given to it.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ledger.errors import BadArgument
from ledger.network.besu import (
    ALL_INTERFACES,
    API_PORT,
    IMAGE_UID,
    P2P_PORT,
    RPC_PORT,
    SUBNET,
    BodyNode,
    Consortium,
    NodeKey,
    genesis_json,
    node_config,
    permissions,
)
from ledger.network.registry import Allowlists

HOME = "/var/lib/ledger"
#: What each body's node needs from its operator's environment to write its ``ledger.env``.
SECRETS = ("LEDGER_KEK_PASSWORD", "LEDGER_KEYSTORE_PASSWORD", "LEDGER_CONSORTIUM_SECRET")


def owner() -> tuple[int, int]:
    """Whom the containers run as: the operator, or the images' user when the operator is root."""
    uid, gid = os.getuid(), os.getgid()
    return (IMAGE_UID, IMAGE_UID) if uid == 0 else (uid, gid)


def _own(path: Path) -> None:
    if os.getuid() == 0:
        os.chown(path, IMAGE_UID, IMAGE_UID)


def _write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    _own(path)
    return path


def _folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    _own(path)
    return path


def _env_name(code: str) -> str:
    return code.upper().replace("-", "_") + "_DB_PASSWORD"


def _services(
    c: Consortium, b: BodyNode, *, prefix: str, here: str, keys: str, genesis: str, password: str, url: str
) -> dict[str, Any]:
    """The body's three services; ``prefix`` names them (``rc-east-`` on one host, none on its own machine);
    ``here``, ``keys`` and ``genesis`` are the paths, relative to the compose file, of its folder, its node
    key's folder and the genesis."""
    uid, gid = owner()
    split = urlsplit(url)
    besu, db = f"{prefix}besu", f"{prefix}db"
    return {
        besu: {
            "image": c.besu_image,
            "user": f"{uid}:{gid}",
            "command": ["--config-file=/opt/besu/config.toml"],
            "volumes": [
                f"{here}/config.toml:/opt/besu/config.toml:ro",
                f"{here}/permissions_config.toml:/opt/besu/permissions_config.toml",
                f"{genesis}:/opt/besu/genesis.json:ro",
                f"{keys}:/opt/besu/keys:ro",
                f"{here}/besu-data:/opt/besu/data",
            ],
            "restart": "unless-stopped",
        },
        db: {
            "image": c.postgres_image,
            "environment": {"POSTGRES_USER": "ledger", "POSTGRES_DB": "ledger", "POSTGRES_PASSWORD": password},
            "volumes": [f"{b.code}-db:/var/lib/postgresql/data"],
            "healthcheck": {"test": ["CMD", "pg_isready", "-U", "ledger"], "interval": "5s", "retries": 12},
            "restart": "unless-stopped",
        },
        f"{prefix}ledger": {
            "image": c.ledger_image,
            "user": f"{uid}:{gid}",
            "command": ["ledger", "serve", "--host", ALL_INTERFACES, "--port", str(API_PORT)],
            "environment": {
                "LEDGER_BODY": b.code,
                "LEDGER_ENVIRONMENT": "production",
                "LEDGER_RPC_URL": f"http://{besu}:{RPC_PORT}",
                "LEDGER_INDEX_DEPTH": "0",  # QBFT blocks are final
                "LEDGER_HOME": HOME,
                "LEDGER_KEK_FILE": f"{HOME}/keyring.json",
                "LEDGER_RELAYER_KEYSTORE": f"{HOME}/node-account.json",
                "LEDGER_API_DOMAIN": split.netloc,
                "LEDGER_API_URI": url.rstrip("/"),
                "DATABASE_URL": f"postgresql://ledger:{password}@{db}:5432/ledger",
            },
            "env_file": [f"{here}/ledger.env"],  # its secrets: written by `ledger consortium compose`
            "volumes": [f"{here}/ledger:{HOME}"],
            "depends_on": {besu: {"condition": "service_started"}, db: {"condition": "service_healthy"}},
            "restart": "unless-stopped",
        },
    }


def _yaml(title: str, document: Mapping[str, Any]) -> str:
    return f"# Generated by `ledger consortium {title}`; docs/CONSORTIUM.md says how to start it.\n" + (
        json.dumps(document, indent=2) + "\n"  # JSON is YAML
    )


def _rel(path: Path, start: Path) -> str:
    rel = os.path.relpath(path.resolve(), start.resolve())
    return rel if rel.startswith(".") else "./" + rel


def compose_all(c: Consortium, out: Path, keys_dir: Path) -> str:
    """Every body on this host: their Besu nodes on one network, each at its fixed address in SUBNET."""
    services: dict[str, Any] = {}
    for b in c.bodies:
        password = f"${{{_env_name(b.code)}:?run ledger consortium generate to write it in .env}}"
        part = _services(
            c,
            b,
            prefix=f"{b.code}-",
            here=f"./{b.code}",
            keys=_rel(keys_dir / b.code, out),
            genesis="./genesis.json",
            password=password,
            url=f"http://{b.code}-ledger:{API_PORT}",
        )
        part[f"{b.code}-besu"]["networks"] = {"chain": {"ipv4_address": b.host}}
        for name in (f"{b.code}-db", f"{b.code}-ledger"):
            part[name]["networks"] = ["chain"]
        services.update(part)
    return _yaml(
        "generate",
        {
            "name": "civic-ledger",
            "services": services,
            "networks": {"chain": {"ipam": {"config": [{"subnet": str(SUBNET)}]}}},
            "volumes": {f"{b.code}-db": {} for b in c.bodies},
        },
    )


def compose_body(c: Consortium, b: BodyNode, out: Path, keys_dir: Path, *, url: str, rpc_bind: str) -> str:
    """One body's services on its own machine: Besu's P2P port published to the other bodies, its JSON-RPC
    port to ``rpc_bind`` (this machine only by default), the node's API port to everyone (put TLS in front)."""
    here = out / b.code
    services = _services(
        c,
        b,
        prefix="",
        here=".",
        keys=_rel(keys_dir / b.code, here),
        genesis="../genesis.json",
        password="${DB_PASSWORD:?ledger consortium compose --body writes it in .env}",
        url=url,
    )
    services["besu"]["ports"] = [
        f"{P2P_PORT}:{P2P_PORT}/tcp",
        f"{P2P_PORT}:{P2P_PORT}/udp",
        f"{rpc_bind}:{RPC_PORT}:{RPC_PORT}",
    ]
    services["ledger"]["ports"] = [f"{API_PORT}:{API_PORT}"]
    return _yaml(
        f"compose --body {b.code}", {"name": f"civic-ledger-{b.code}", "services": services, "volumes": {f"{b.code}-db": {}}}
    )


def ledger_env(code: str, environ: Mapping[str, str]) -> str:
    """The node's secrets file, from its operator's environment (the passwords they chose for its keyring
    and its node account's keystore, the consortium's secret) and a fresh token secret."""
    missing = [name for name in SECRETS if not environ.get(name)]
    if missing:
        raise BadArgument(
            f"set {', '.join(missing)} in the environment first: the node's ledger.env is written from them "
            "(docs/CONSORTIUM.md, step 1)"
        )
    if any("\n" in environ[name] for name in SECRETS):
        raise BadArgument("a secret holds a line break; choose another")
    lines = [f"# {code}'s Civic Ledger node: its secrets. Keep it 0600; never commit or copy it elsewhere."]
    lines += [f"{name}={environ[name]}" for name in SECRETS]
    lines.append(f"LEDGER_API_TOKEN_SECRET={secrets.token_urlsafe(32)}")
    return "\n".join(lines) + "\n"


def write_node_files(c: Consortium, keys: Mapping[str, NodeKey], out: Path, b: BodyNode, lists: Allowlists) -> list[Path]:
    """The body's Besu files and its folders (the chain's data, the node's home)."""
    here = _folder(out / b.code)
    _folder(here / "besu-data")
    _folder(here / "ledger")
    return [
        _write(here / "config.toml", node_config(c, keys, b), 0o600),
        _write(here / "permissions_config.toml", permissions(lists), 0o600),
    ]


def write_body(
    c: Consortium,
    keys: Mapping[str, NodeKey],
    out: Path,
    keys_dir: Path,
    b: BodyNode,
    lists: Allowlists,
    *,
    url: str,
    rpc_bind: str,
    environ: Mapping[str, str],
) -> dict[str, object]:
    """Everything ``b``'s machine runs from: the genesis, its Besu files, its compose file and, unless they
    exist, its secrets (kept when they do: the database was created with that password)."""
    here = out / b.code
    env, dotenv = here / "ledger.env", here / ".env"
    secrets_text = ledger_env(b.code, environ) if not env.exists() else None
    written = [
        _write(out / "genesis.json", genesis_json(c, keys), 0o644),
        *write_node_files(c, keys, out, b, lists),
        _write(here / "compose.yaml", compose_body(c, b, out, keys_dir, url=url, rpc_bind=rpc_bind), 0o600),
    ]
    kept = []
    if secrets_text is None:
        kept.append(str(env))
    else:
        written.append(_write(env, secrets_text))
    if dotenv.exists():
        kept.append(str(dotenv))
    else:
        written.append(_write(dotenv, f"DB_PASSWORD={secrets.token_hex(24)}\n"))
    return {"written": [str(p) for p in written], "kept": kept}


def write_network(
    c: Consortium, keys: Mapping[str, NodeKey], out: Path, keys_dir: Path, lists: Allowlists, environ: Mapping[str, str]
) -> list[Path]:
    """Every body on this host: the genesis, each body's Besu files and folders, the compose file, the
    database passwords (``.env``) and, when the environment holds the secrets, each node's ``ledger.env``
    (both kept when they exist)."""
    _folder(out)
    written = [
        _write(out / "genesis.json", genesis_json(c, keys), 0o644),
        _write(out / "compose.yaml", compose_all(c, out, keys_dir), 0o600),
    ]
    for b in c.bodies:
        written += write_node_files(c, keys, out, b, lists)
        env = out / b.code / "ledger.env"
        if not env.exists() and all(environ.get(name) for name in SECRETS):
            written.append(_write(env, ledger_env(b.code, environ)))
    dotenv = out / ".env"
    if not dotenv.exists():
        written.append(_write(dotenv, "".join(f"{_env_name(b.code)}={secrets.token_hex(24)}\n" for b in c.bodies)))
    return written
