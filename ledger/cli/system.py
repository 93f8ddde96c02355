"""``ledger up``, ``deploy``, ``serve``, ``compile`` and ``node``: the local system and its chain node.

Heavy modules (web3, the store, the API) are imported inside the commands that use them, so that
``ledger --help`` and the client commands start quickly."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ledger.cli.common import err, fail, out, progress, run, settings, signer
from ledger.errors import BadArgument

node_app = typer.Typer(
    help="The chain node: run the local one (anvil by default; Hardhat node or Ganache), or publish this body's "
    "node addresses on-chain.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    from ledger.cli.governance import publish

    node_app.command("publish")(publish)
    app.add_typer(node_app, name="node")
    app.command("deploy")(deploy)
    app.command("up")(up)
    app.command("serve")(serve)
    app.command("compile")(compile)


# --------------------------------------------------------------------- node

KindOpt = Annotated[Optional[str], typer.Option("--kind", help="anvil, hardhat or ganache")]
PortOpt = Annotated[Optional[int], typer.Option("--port", help="JSON-RPC port on 127.0.0.1")]
BlockOpt = Annotated[Optional[float], typer.Option("--block-time", help="Seconds between blocks (0: mine each tx)")]


@node_app.command("up")
def node_up(
    kind: KindOpt = None,
    port: PortOpt = None,
    block_time: BlockOpt = None,
    chain_id: Annotated[Optional[int], typer.Option(help="Chain id")] = None,
) -> None:
    """Start the local node (detached), unless it already runs."""
    from ledger.local.chain_node import LocalNode

    s = settings(node_kind=kind, node_port=port, block_time=block_time, chain_id=chain_id)
    info = run(lambda: LocalNode(s.home).up(s.node_spec))
    out.print(
        f"{info.spec.kind} is up at {info.spec.rpc_url} (chain id {info.spec.chain_id}, pid {info.pid}); log: {info.log}"
    )


@node_app.command("down")
def node_down() -> None:
    """Stop the local node; anvil and Ganache keep their state for the next `up`."""
    from ledger.local.chain_node import LocalNode

    s = settings()
    stopped = run(lambda: LocalNode(s.home).down())
    out.print("node stopped" if stopped else "no node was running")


@node_app.command("status")
def node_status() -> None:
    """Tell whether the local node runs, and its chain head."""
    from ledger.chain.connection import connect
    from ledger.local.chain_node import LocalNode

    s = settings()
    info = LocalNode(s.home).running()
    if info is None:
        out.print("no local node is running")
        raise typer.Exit(3)
    try:
        block = connect(info.spec.rpc_url).eth.block_number
        out.print(
            f"{info.spec.kind} runs at {info.spec.rpc_url} (chain id {info.spec.chain_id}, pid {info.pid}), block {block}"
        )
    except Exception as exc:  # noqa: BLE001 — the process lives but does not answer
        out.print(f"{info.spec.kind} (pid {info.pid}) does not answer at {info.spec.rpc_url}: {exc}")
        raise typer.Exit(4) from None


# ------------------------------------------------------------------- deploy


def deploy(
    rpc: Annotated[Optional[str], typer.Option(help="JSON-RPC URL (default: the local node)")] = None,
    founder: Annotated[str, typer.Option(help="Code of the founding body, e.g. subdistrict")] = "subdistrict",
    founder_name: Annotated[str, typer.Option(help="Public name of the founding body")] = "Subdistrict Office",
    founder_kind: Annotated[
        str, typer.Option(help="residents_committee, subdistrict_office, department, auditor")
    ] = "subdistrict_office",
    admin: Annotated[Optional[list[str]], typer.Option(help="Founding admin address (at least two)")] = None,
    quorum_bps: Annotated[
        int, typer.Option(help="Votes needed to admit or remove a body, in basis points of active bodies")
    ] = 5001,
    keystore: Annotated[Optional[Path], typer.Option(help="Deployer keystore V3 file")] = None,
    dev_account: Annotated[Optional[int], typer.Option(help="Deploy with local dev key N (local node only)")] = None,
    manifest: Annotated[Optional[Path], typer.Option(help="Where to write the manifest")] = None,
) -> None:
    """Deploy the contracts to a chain and write the manifest every other command reads."""
    from ledger.chain.bodies import BodyProfile
    from ledger.chain.deploy import deploy as do_deploy
    from ledger.ids import BodyKind, code_id, text_hash
    from ledger.local.system import open_chain

    def go() -> Any:
        s = settings(rpc_url=rpc, manifest=manifest)
        try:
            kind = BodyKind[founder_kind.upper()]
        except KeyError:
            raise BadArgument(f"unknown body kind {founder_kind!r}") from None
        admins = admin or []
        if len(admins) < 2:
            raise BadArgument("give at least two --admin addresses for the founding body")
        deployer = signer(keystore, dev_account)
        chain = open_chain(s, with_manifest=False)
        m = do_deploy(
            chain,
            deployer,
            founder=code_id(founder),
            founder_profile=BodyProfile(kind, name_hash=text_hash(founder_name)),
            founder_admins=admins,
            quorum_bps=quorum_bps,
            rpc_url=s.effective_rpc_url,
        )
        m.save(s.manifest_path, chain.build.abis())
        return m, s.manifest_path

    m, path = run(go)
    out.print_json(json.dumps(m.to_json()))
    err.print(f"manifest written to {path}")


# ----------------------------------------------------------------------- up


def up(block_time: BlockOpt = None, kind: KindOpt = None, port: PortOpt = None) -> None:
    """Start the whole local system: node, contracts, demo consortium; print a summary."""
    from rich.table import Table

    from ledger.local import demo
    from ledger.local.system import up as system_up

    s = settings(block_time=block_time, node_kind=kind, node_port=port)
    result = run(lambda: system_up(s, progress=progress))
    m = result.manifest
    out.print(
        f"[bold]Civic Ledger is up[/bold] — chain {m.chain_id} at {s.effective_rpc_url}, "
        f"{'deployed now' if result.deployed_now else 'deployment reused'} (block {m.deploy_block})."
    )
    out.print(f"Manifest: {s.manifest_path}")
    contracts = Table("contract", "address", title="Contracts")
    for name, address in m.contracts.items():
        contracts.add_row(name, address)
    out.print(contracts)
    people = Table("body", "kind", "role", "account", title="Demo consortium (WELL-KNOWN DEV KEYS: local use only)")
    for row in demo.summary_rows():
        people.add_row(*row)
    out.print(people)
    residents = Table(
        "resident",
        "national ID",
        "committee",
        "records (category: id)",
        title="Demo residents (INVENTED: no such people; synthetic ID numbers)",
    )
    for r in result.residents:
        residents.add_row(r.name, r.national_id, r.committee, "\n".join(f"{c}: {i}" for c, i in r.records))
    out.print(residents)
    out.print(
        f"{len(result.demo.steps_done)} demo steps done now, {result.demo.steps_skipped} already in place. "
        "Stop the node with `ledger node down`."
    )


def serve(
    body: Annotated[Optional[str], typer.Option(help="Body whose node this is (default: LEDGER_BODY)")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            envvar="LEDGER_API_WORKERS",
            help="uvicorn worker processes (on PostgreSQL; one of them indexes and anchors)",
        ),
    ] = 1,
) -> None:
    """Run this body's API (uvicorn) on the deployed chain; stop with Ctrl-C."""
    import uvicorn
    from pydantic import ValidationError

    from api.main import create_app
    from api.settings import ApiSettings

    overrides: dict[str, Any] = {"body": body} if body else {}
    if "LEDGER_API_DOMAIN" not in os.environ:  # behind a proxy, set the public domain and URI instead
        overrides.update(api_domain=f"{host}:{port}", api_uri=f"http://{host}:{port}")
    try:
        s = ApiSettings(**overrides)
    except ValidationError as exc:
        fail(BadArgument("invalid setting: " + "; ".join(e["msg"] for e in exc.errors())))
    if s.body is None:
        fail(BadArgument("say which body's node this is: --body CODE or LEDGER_BODY"))
    relayer = run(s.relayer_account)
    err.print(f"relaying with {relayer.address}")
    # X-Forwarded-For is believed only from the proxies named in LEDGER_API_TRUSTED_PROXIES (default: none), so a
    # client cannot dodge a per-client limit by naming another address.
    proxies = s.api_trusted_proxies
    from api.http import BoundedHttpToolsProtocol  # request heads over 32 KB: 431

    common: dict[str, Any] = dict(
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        proxy_headers=proxies is not None,
        forwarded_allow_ips=proxies or "",
        http=BoundedHttpToolsProtocol,
    )
    if workers == 1:
        uvicorn.run(create_app(s), **common)
        return
    # each worker process builds the app from the environment: say there what the options said, and give them one
    # token secret (in development one is made up per process: a token from one worker would be refused by another)
    os.environ.update({"LEDGER_BODY": s.body, "LEDGER_API_DOMAIN": s.api_domain, "LEDGER_API_URI": s.api_uri})
    assert s.api_token_secret is not None
    os.environ.setdefault("LEDGER_API_TOKEN_SECRET", s.api_token_secret.get_secret_value())
    uvicorn.run("api.main:create_app", factory=True, workers=workers, **common)


def compile() -> None:
    """Compile the contracts offline with the pinned solc and print what was built."""
    from ledger.chain.compiler import CONTRACTS, compile_contracts

    build = run(lambda: compile_contracts(use_cache=False))
    for name in CONTRACTS:
        out.print(f"{name}: {len(build[name].bytecode) // 2 - 1} bytes")
    out.print(f"solc {build.compiler_version}, source hash {build.source_hash}")
