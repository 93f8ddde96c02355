"""``ledger consortium``: the Besu QBFT network of one node per body, generated from node-config/consortium.toml."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from ledger.cli.common import DevAccountOpt, KeystoreOpt, fail, out, print_json, run
from ledger.errors import BadArgument

if TYPE_CHECKING:
    from ledger.network.besu import Consortium, NodeKey
    from ledger.network.registry import Allowlists

consortium_app = typer.Typer(
    help="The production network: Besu QBFT genesis, node configs, allowlists from the "
    "on-chain registry, node keys, compose file (node-config/); and the audit of every "
    "body's node.",
    no_args_is_help=True,
)

FileOpt = Annotated[Path, typer.Option("--file", help="The consortium file")]
KeysOpt = Annotated[Path, typer.Option("--keys", help="Folder of the node keys (kept out of git)")]
OutOpt = Annotated[Path, typer.Option("--out", help="Folder the network's files are written to")]
RpcOpt = Annotated[
    Optional[str],
    typer.Option(
        "--rpc",
        help="A node of the network: allowlists from its "
        "BodyRegistry, at the addresses of the deployment's "
        "manifest (LEDGER_HOME or LEDGER_MANIFEST); default: the "
        "file's bootstrap entries",
    ),
]
AUDIT_WAIT = 1800.0  # seconds the consortium audit may take (each node audits itself; 1M events ≈ 2 min)
FILE, KEYS, OUT = Path("node-config/consortium.toml"), Path("node-config/keys"), Path("node-config/network")


@consortium_app.command("init")
def init(file: FileOpt = FILE) -> None:
    """Write the demo bodies' consortium file, unless one is there (edit it for a real deployment)."""
    from ledger.network.besu import demo_file, load

    def go() -> dict[str, object]:
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(demo_file())
            created = True
        else:
            created = False
        c = load(file)
        return {
            "file": str(file),
            "created": created,
            "bodies": [b.code for b in c.bodies],
            "validators": [b.code for b in c.validators],
        }

    print_json(run(go))


@consortium_app.command("keys")
def keys(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS) -> None:
    """Create each body's Besu node key where missing (0600); print the node addresses and enodes."""
    from ledger.network.besu import load, write_keys

    def go() -> dict[str, object]:
        c = load(file)
        made = write_keys(c, keys_dir)
        return {
            b.code: {"address": made[b.code].address, "enode": made[b.code].enode(b.host), "validator": b.validator}
            for b in c.bodies
        }

    print_json(run(go))


@consortium_app.command("genesis")
def genesis(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT) -> None:
    """Write the QBFT genesis.json (validators: the validator bodies' node addresses)."""
    import json

    from ledger.network.besu import genesis as make
    from ledger.network.besu import load, read_keys

    def go() -> dict[str, object]:
        c = load(file)
        k = read_keys(c, keys_dir)
        g = make(c, [k[v.code].address for v in c.validators])
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "genesis.json").write_text(json.dumps(g, indent=2) + "\n")
        return {"genesis": str(out_dir / "genesis.json"), "extraData": g["extraData"]}

    print_json(run(go))


@consortium_app.command("allowlists")
def allowlists(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT, rpc: RpcOpt = None) -> None:
    """Write each node's config.toml and permissions_config.toml; with --rpc, the allowlists are the active
    bodies' members and published nodes as the chain's BodyRegistry holds them (run it after each vote)."""
    from ledger.network.besu import load, node_config, permissions, read_keys

    def go() -> dict[str, object]:
        c = load(file)
        k = read_keys(c, keys_dir)
        lists = _lists(c, k, rpc)
        for b in c.bodies:
            (out_dir / b.code).mkdir(parents=True, exist_ok=True)
            (out_dir / b.code / "config.toml").write_text(node_config(c, k))
            (out_dir / b.code / "permissions_config.toml").write_text(permissions(lists))
        return {
            "out": str(out_dir),
            "source": "registry" if rpc else "bootstrap",
            "accounts": list(lists.accounts),
            "nodes": list(lists.nodes),
            "unreadableEndpoints": list(lists.unreadable),
        }

    print_json(run(go))


def _lists(c: Consortium, k: Mapping[str, NodeKey], rpc: str | None) -> Allowlists:
    """The registry's allowlists when ``rpc`` names a node (plus the bootstrap accounts and the validators,
    which must stay connected), else the bootstrap ones."""
    from ledger.network.besu import bootstrap_allowlists

    if not rpc:
        return bootstrap_allowlists(c, k)
    from ledger.chain.deploy import Contracts
    from ledger.cli.common import settings
    from ledger.local.system import open_chain
    from ledger.network.registry import from_registry

    return from_registry(
        Contracts.of(open_chain(settings(rpc_url=rpc))),
        accounts=c.bootstrap_accounts,
        nodes=tuple(k[v.code].enode(v.host) for v in c.validators),
    )


@consortium_app.command("compose")
def compose(file: FileOpt = FILE, out_dir: OutOpt = OUT) -> None:
    """Write compose.yaml: per body a Besu node, a Civic Ledger node and a PostgreSQL."""
    from ledger.network.besu import compose as make
    from ledger.network.besu import load

    def go() -> dict[str, object]:
        c = load(file)
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "compose.yaml").write_text(make(c))
        return {"compose": str(out_dir / "compose.yaml"), "services": 3 * len(c.bodies)}

    print_json(run(go))


@consortium_app.command("generate")
def generate(file: FileOpt = FILE, keys_dir: KeysOpt = KEYS, out_dir: OutOpt = OUT, rpc: RpcOpt = None) -> None:
    """init, keys, genesis, allowlists and compose in one go (each keeps what exists where it should)."""
    from ledger.network.besu import demo_file, load, write_keys, write_network

    def go() -> dict[str, object]:
        if not file.exists():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(demo_file())
        c = load(file)
        k = write_keys(c, keys_dir)
        lists = _lists(c, k, rpc)
        return {"written": [str(p) for p in write_network(c, k, out_dir, lists)]}

    print_json(run(go))


@consortium_app.command("extradata")
def extradata(addresses: Annotated[list[str], typer.Argument(help="Validator addresses (0x…), in order")]) -> None:
    """Print the QBFT genesis extraData (0x hex) for these validators, as Besu's generate-blockchain-config
    writes it: 32 zero bytes of vanity, the validators, no vote, round 0, no seals."""
    from ledger.network.qbft import genesis_extra_data

    out.print(run(lambda: genesis_extra_data(addresses)), highlight=False, soft_wrap=True)


@consortium_app.command("audit")
def audit(
    api: Annotated[
        Optional[str],
        typer.Option("--api", envvar="LEDGER_API_URL", help="The auditor body's own node (default http://127.0.0.1:8000)"),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or html")] = "json",
    save: Annotated[Optional[Path], typer.Option("--out", help="Also write the report to this file")] = None,
    keystore: KeystoreOpt = None,
    dev_account: DevAccountOpt = None,
) -> None:
    """Audit every body's node (auditors, at their own node): each node audits itself and signs the result;
    the auditor's node checks each against the chain and answers one report. Exits 1 unless it passed."""
    from ledger.cli.api import call

    if fmt not in ("json", "html"):
        fail(BadArgument("--format is json or html"))

    def ask(c: Any) -> Any:
        c.http.close()
        c.http.timeout = AUDIT_WAIT  # every node audits itself first
        return c.request("POST", "/audit/consortium", params={"format": fmt})

    answer = call(api, keystore, dev_account, ask)
    if fmt == "html":
        if save is not None:
            save.write_text(answer)
        sys.stdout.write(answer)
        return
    if save is not None:
        save.write_text(json.dumps(answer, indent=2) + "\n")
    print_json(answer)
    if not answer.get("ok"):
        raise typer.Exit(1)
