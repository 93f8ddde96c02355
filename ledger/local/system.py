"""Assembles the running system from settings: node, chain connection, deployment, demo."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount

from ledger.chain.client import Chain
from ledger.chain.compiler import compile_contracts
from ledger.chain.connection import connect
from ledger.chain.deploy import Contracts, deploy, is_deployed
from ledger.chain.manifest import Manifest
from ledger.config import Settings
from ledger.crypto.secrets import ensure_dev_secrets, load_consortium_secret, load_keyring
from ledger.ids import code_id
from ledger.local import demo
from ledger.local.chain_node import STATE_FILE, AnvilState, LocalNode, NodeInfo
from ledger.local.demo import DemoReport, DemoResident
from ledger.local.devkeys import dev_account
from ledger.records.store import RecordStore
from ledger.store.db import open_engine


def open_chain(settings: Settings, *, with_manifest: bool = True) -> Chain:
    """Connects to the configured chain; attaches the manifest when asked."""
    chain = Chain(connect(settings.effective_rpc_url, poa=settings.poa), compile_contracts())
    if settings.rpc_url is None and settings.node_kind == "anvil":  # the local development node
        chain.sender.on_confirmed.append(AnvilState(chain.w3, LocalNode(settings.home).dir / STATE_FILE))
    if with_manifest:
        chain.attach(Manifest.load(settings.manifest_path))
    return chain


def open_store(settings: Settings, chain: Chain, body: str) -> RecordStore:
    """The record store of ``body`` (a code such as ``rc-east``) on its database."""
    return RecordStore(
        engine=open_engine(settings.store_url(body)),
        contracts=Contracts.of(chain),
        keyring=load_keyring(settings, body),
        body=code_id(body),
        consortium_secret=load_consortium_secret(settings),
        epochs=settings.epochs_path(body),
    )


def deploy_demo_founder(chain: Chain, settings: Settings, deployer: LocalAccount) -> Manifest:
    founder = demo.founder_body()
    manifest = deploy(
        chain,
        deployer,
        founder=founder.id,
        founder_profile=founder.profile(),
        founder_admins=[dev_account(i).address for i in founder.admins],
        rpc_url=settings.effective_rpc_url,
    )
    manifest.save(settings.manifest_path, chain.build.abis())
    return manifest


@dataclass
class UpResult:
    node: NodeInfo | None
    manifest: Manifest
    deployed_now: bool
    demo: DemoReport
    residents: list[DemoResident]


def up(settings: Settings, *, progress: Callable[[str], None] = lambda _: None) -> UpResult:
    """Local node up, contracts deployed (unless this build is already there), demo consortium built."""
    node = None
    if settings.rpc_url is None:
        local = LocalNode(settings.home)
        running = local.running()
        if running is not None:
            progress(f"reusing the {running.spec.kind} already running on port {running.spec.port}")
        else:
            progress(f"starting {settings.node_kind} on port {settings.node_port}")
        node = local.up(settings.node_spec)
    chain = open_chain(settings, with_manifest=False)
    deployed_now = False
    try:
        manifest = Manifest.load(settings.manifest_path)
        current = is_deployed(chain, manifest)
    except Exception:  # noqa: BLE001 — no answer from the chain means not deployed here
        current = False
    if current:
        chain.attach(manifest)
        manifest.write_abis(settings.manifest_path.parent / "abi", chain.build.abis())
    else:
        progress("deploying contracts")
        manifest = deploy_demo_founder(chain, settings, dev_account(demo.DEPLOYER))
        deployed_now = True
    report = demo.build(Contracts.of(chain), progress=progress)
    ensure_dev_secrets(settings, [b.code for b in demo.BODIES])  # every body's node has its keyring
    stores = {body: open_store(settings, chain, body) for body in demo.record_keepers()}
    for body, store in stores.items():
        demo.add_records(store, body, report, progress=progress)
        demo.place_residents(store, body, report, progress=progress)
    demo.write_keystores(settings.home / "keystores")
    residents = demo.residents(stores)
    for store in stores.values():
        store.engine.dispose()
    return UpResult(node, manifest, deployed_now, report, residents)
