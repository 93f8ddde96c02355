"""The indexer and reorgs: blocks within ``depth`` of the head are not indexed, so a reorg that
shallow changes nothing; a deeper one, or a chain rewound to an older state, is healed by itself:
the index goes back to the last block the chain still has and follows the chain from there,
never keeping a history the chain no longer has. anvil's snapshots make the reorg and the rewind."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from ledger.chain.client import Chain
from ledger.chain.deploy import Contracts
from ledger.config import Settings
from ledger.ids import Role
from ledger.index.indexer import Indexer
from ledger.index.models import ChainLog
from ledger.local import demo
from ledger.local.chain_node import LocalNode, NodeSpec
from ledger.local.devkeys import dev_account
from ledger.local.system import deploy_demo_founder, open_chain
from ledger.store.db import open_engine
from tests.support import DATABASES, free_port, pg_schema, rpc


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    node = LocalNode(tmp_path / "node")
    spec = NodeSpec("anvil", free_port())
    node.up(spec)
    try:
        settings = Settings(home=tmp_path / "node", node_port=spec.port)
        c = open_chain(settings, with_manifest=False)
        c.attach(deploy_demo_founder(c, settings, dev_account(demo.DEPLOYER)))
        yield c
    finally:
        node.down()


def _reorg_last_block(chain: Chain, snapshot: object) -> None:
    """Replaces the block mined since ``snapshot`` with another at the same height."""
    url = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    height = chain.block_number()
    timestamp = chain.timestamp()
    assert rpc(url, "evm_revert", snapshot) is True
    rpc(url, "evm_mine", timestamp + 7)  # another timestamp: another block hash
    assert chain.block_number() == height


def test_a_rewound_chain_is_re_indexed_from_the_last_common_block_by_itself(chain: Chain, tmp_path: Path) -> None:
    url = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    manifest = chain.manifest
    assert manifest is not None
    c = Contracts.of(chain)
    founder = demo.BODIES[0]
    admin = chain.direct(dev_account(founder.admins[0]))
    indexer = Indexer(open_engine(f"sqlite:///{tmp_path / 'index.db'}"), chain, from_block=manifest.deploy_block)
    indexer.sync()
    kept = dev_account(20).address
    c.bodies.add_member(admin, kept, Role.OFFICER)
    snapshot = rpc(url, "evm_snapshot")
    lost = dev_account(21).address
    c.bodies.add_member(admin, lost, Role.OFFICER)
    for _ in range(3):
        rpc(url, "evm_mine")
    indexer.sync()
    assert {kept.lower(), lost.lower()} <= {m.account for m in indexer.members(founder.id)}
    before = indexer.cursor()[0]

    assert rpc(url, "evm_revert", snapshot) is True  # as a node restarted from a state saved earlier
    replacement = dev_account(22).address
    c.bodies.add_member(admin, replacement, Role.AUDITOR)
    assert chain.block_number() < before

    indexer.sync()  # no error: healed
    members = {m.account for m in indexer.members(founder.id)}
    assert kept.lower() in members and replacement.lower() in members and lost.lower() not in members
    assert indexer.rewinds == 1 and indexer.last_rewind is not None and indexer.last_rewind["logsDropped"] >= 1
    block, block_hash = indexer.cursor()
    assert block == chain.block_number()
    assert block_hash == "0x" + bytes(chain.w3.eth.get_block(block)["hash"]).hex()


def test_a_reorg_deeper_than_depth_is_followed_not_kept(chain: Chain, tmp_path: Path) -> None:
    url = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    manifest = chain.manifest
    assert manifest is not None
    indexer = Indexer(open_engine(f"sqlite:///{tmp_path / 'index.db'}"), chain, from_block=manifest.deploy_block)
    snapshot = rpc(url, "evm_snapshot")
    rpc(url, "evm_mine")
    assert indexer.sync() > 0 and indexer.cursor()[0] == chain.block_number()
    _reorg_last_block(chain, snapshot)
    indexer.sync()
    block, block_hash = indexer.cursor()
    assert indexer.rewinds == 1 and block == chain.block_number()
    assert block_hash == "0x" + bytes(chain.w3.eth.get_block(block)["hash"]).hex()


def test_a_reorg_within_depth_changes_nothing(chain: Chain, tmp_path: Path) -> None:
    url = chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    manifest = chain.manifest
    assert manifest is not None
    indexer = Indexer(open_engine(f"sqlite:///{tmp_path / 'index.db'}"), chain, from_block=manifest.deploy_block, depth=2)
    snapshot = rpc(url, "evm_snapshot")
    rpc(url, "evm_mine")
    indexer.sync()
    assert indexer.cursor()[0] == chain.block_number() - 2
    _reorg_last_block(chain, snapshot)
    indexer.sync()  # the replaced block was never indexed
    rpc(url, "evm_mine")
    rpc(url, "evm_mine")
    indexer.sync()
    block, block_hash = indexer.cursor()
    assert block == chain.block_number() - 2
    assert block_hash == "0x" + bytes(chain.w3.eth.get_block(block)["hash"]).hex()


@pytest.mark.parametrize("database", ["postgresql", "sqlite"])
def test_writers_indexing_one_database_at_once_neither_fail_nor_journal_twice(
    chain: Chain, database: str, tmp_path: Path
) -> None:
    """One database, several index writers at the same moment: on PostgreSQL the uvicorn workers of one node
    (the indexing worker's poll, another worker's sync after a relayed transaction); on SQLite the node's API
    and `ledger audit` / `ledger trail` run beside it, each its own process with its own connection."""
    workers = 8
    if database not in DATABASES:
        pytest.skip("no PostgreSQL server answers at 127.0.0.1:5432")
    manifest = chain.manifest
    assert manifest is not None
    c = Contracts.of(chain)
    admin = chain.direct(dev_account(demo.BODIES[0].admins[0]))
    added = [dev_account(i).address for i in range(20, 26)]
    for account in added:
        c.bodies.add_member(admin, account, Role.OFFICER)
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(pg_schema()) if database == "postgresql" else f"sqlite:///{tmp_path / 'index.db'}"
        engines = [open_engine(url) for _ in range(workers)]  # one pool each, as separate processes have
        stack.callback(lambda: [e.dispose() for e in engines])
        indexers = [Indexer(e, chain, from_block=manifest.deploy_block, page=3) for e in engines]
        barrier, errors = threading.Barrier(workers), []

        def sync(indexer: Indexer) -> None:
            barrier.wait()
            try:
                indexer.sync()
            except Exception as exc:  # noqa: BLE001 — any failure is the finding
                errors.append(exc)

        threads = [threading.Thread(target=sync, args=(ix,)) for ix in indexers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        members = {m.account for m in indexers[0].members(demo.BODIES[0].id)}
        assert {a.lower() for a in added} <= members
        with Session(engines[0]) as s:
            keys = s.exec(select(ChainLog.block, ChainLog.log_index)).all()
        assert len(keys) == len(set(keys)) and indexers[0].cursor()[0] == chain.block_number()
