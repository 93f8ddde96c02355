"""``ledger audit``, ``ledger verify trail`` and ``ledger anchor-trail``: the access trail from a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ledger.cli.common import err, fail, print_json, progress_bars, read_json, run, settings
from ledger.errors import BadArgument, LedgerError

MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # a resident's trail: thousands of events at most; room to spare

verify_app = typer.Typer(help="Verify bundles against the chain, trusting no node.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
    app.add_typer(verify_app, name="verify")
    app.command("anchor-trail")(anchor_now)


def _node(body: str | None, account: Any = None) -> tuple[Any, Any, Any]:
    """The body's store, chain index and settings, as its node runs them."""
    from ledger.cli.records import body_of
    from ledger.index.indexer import Indexer
    from ledger.local.system import open_chain, open_store

    s = settings(body=body)
    chain = open_chain(s)
    s = settings(body=body_of(chain, s.body, account))
    store = open_store(s, chain, s.body)  # type: ignore[arg-type]
    indexer = Indexer(
        store.engine, chain, from_block=chain.manifest.deploy_block if chain.manifest else 0, depth=s.index_depth
    )
    return store, indexer, s


@verify_app.command("trail")
def verify_trail(
    file: Annotated[Path, typer.Argument(help="Trail bundle (JSON), or - for stdin")],
    rpc: Annotated[Optional[str], typer.Option("--rpc", help="JSON-RPC URL of any node of the chain")] = None,
    manifest: Annotated[
        Optional[Path],
        typer.Option(
            "--manifest",
            help="Deployment manifest naming the consortium's contracts (default: the local "
            "one if it is for this chain, else the addresses the bundle names)",
        ),
    ] = None,
) -> None:
    """Verify a resident's trail bundle against the chain: events, signatures, proofs, contiguous anchors.
    A trail across the consortium (`ledger trail --consortium --bundle`) is checked part by part; the bodies
    whose node did not answer are listed under notAnswered."""
    from ledger.chain.client import Chain
    from ledger.chain.compiler import compile_contracts
    from ledger.chain.connection import connect
    from ledger.chain.deploy import Contracts
    from ledger.chain.manifest import Manifest
    from ledger.trail.merged import SCHEMA as MERGED
    from ledger.trail.merged import verify_consortium_trail
    from ledger.trail.proofs import verify_trail as verify

    def go() -> dict[str, Any]:
        bundle = read_json(file, limit=MAX_BUNDLE_BYTES, what="a trail bundle is limited to that")
        s = settings()
        chain = Chain(connect(rpc or s.effective_rpc_url, poa=s.poa), compile_contracts())
        source = "bundle"
        m: Manifest | None = None
        path = manifest or s.manifest_path
        if path.is_file():
            m = Manifest.load(path)
            source = str(path)
        if m is None or m.chain_id != chain.chain_id:
            if manifest is not None:
                raise BadArgument(f"{manifest} is for chain {m.chain_id if m else '?'}, the node is {chain.chain_id}")
            named = _contracts_named(bundle)
            m = Manifest(
                chain_id=chain.chain_id,
                contracts=dict(named),
                deploy_block=0,
                compiler_version="",
                source_hash="",
                deployer="",
                founder="",
            )
            source = "bundle"
        chain.attach(m)
        if isinstance(bundle, dict) and bundle.get("schema") == MERGED:
            return {**verify_consortium_trail(bundle, Contracts.of(chain)), "contractsFrom": source}
        report = verify(bundle, Contracts.of(chain))
        return {**report.as_json(), "contractsFrom": source}

    print_json(run(go))


def _contracts_named(bundle: Any) -> dict[str, Any]:
    """The contracts a bundle names (a consortium trail: its first answered part's)."""
    if not isinstance(bundle, dict):
        return {}
    parts = [p.get("bundle") for p in bundle.get("parts", []) if isinstance(p, dict) and p.get("bundle")]
    named = bundle.get("contracts") or (parts[0].get("contracts") if parts and isinstance(parts[0], dict) else None)
    return dict(named) if isinstance(named, dict) else {}


FormatOpt = Annotated[str, typer.Option("--format", help="json, csv or html")]
NodeBodyOpt = Annotated[
    Optional[str], typer.Option("--body", help="The body whose node (store and trail) to audit (default: LEDGER_BODY)")
]


def audit(
    body: NodeBodyOpt = None,
    fmt: FormatOpt = "json",
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Write the report here (default: stdout)")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes checking signatures")] = 2,
) -> None:
    """Audit a body's node: records vs commitments, grants, anchors and proofs, signatures. Exit 1 on any failure."""
    from ledger.audit.node import Auditor
    from ledger.audit.report import render

    if fmt not in ("json", "csv", "html"):
        fail(BadArgument("--format must be json, csv or html"))
    try:
        store, indexer, s = _node(body)
        with progress_bars("checking") as progress:
            report = Auditor(
                store,
                indexer,
                grace=s.trail_anchor_grace,
                interval=s.trail_batch_interval,
                workers=workers,
                progress=progress,
            ).run()
    except LedgerError as exc:
        fail(exc)
    text = render(report, fmt)  # type: ignore[arg-type]
    if out_file is not None:
        out_file.write_text(text)
    else:
        typer.echo(text, nl=False)
    for c in report.checks.values():
        mark = "[green]pass[/green]" if c.ok else f"[red]FAIL ({c.failed})[/red]"
        err.print(f"{c.number}. {c.as_json()['title']}: {mark}")
    if not report.ok:
        raise typer.Exit(1)


def anchor_now(
    body: NodeBodyOpt = None,
    dev_account: Annotated[
        Optional[int],
        typer.Option("--dev-account", help="Anchor as local dev key N (default: the demo body's node account)"),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Give up after this many seconds")] = 120.0,
) -> None:
    """Anchor every access event written so far, now (what the API's worker does continuously)."""
    from api.settings import ApiSettings
    from ledger.store.trail import Trail
    from ledger.trail.anchor import TrailAnchorer

    def go() -> dict[str, Any]:
        store, _indexer, _s = _node(body)
        api = ApiSettings(body=_s.body, relayer_dev_account=dev_account)
        trail = Trail(store.engine, store.body)
        anchorer = TrailAnchorer(trail, store.c, api.relayer_account(), mode=_s.trail_mode, batch_size=_s.trail_batch_size)
        anchorer.drain(timeout)
        return anchorer.status.as_json()

    print_json(run(go))
