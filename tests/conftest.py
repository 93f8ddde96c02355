"""Fixtures. Every process a test needs is started here and stopped afterwards.

``k`` is the shared behaviour-suite consortium, parametrised over two backends: the
in-process EVM (eth-tester/py-evm, fast) and a real anvil mining one block a second.
Each test runs from a snapshot of the consortium and the chain is reverted after it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.client import Chain
from ledger.chain.compiler import Build, compile_contracts
from ledger.chain.connection import connect
from ledger.local.chain_node import LocalNode, NodeSpec
from tests.support import Consortium, Snapshots, build_consortium, evm_chain, free_port

BACKENDS = ["evm", "anvil-1s"]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: Chromium as root, headless, offline: no sandbox, no background connections to the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, driven by Playwright (it cannot download browsers: this one is launched by path)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def build() -> Build:
    return compile_contracts()


@pytest.fixture(scope="session")
def anvil_1s(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeSpec]:
    """A real anvil mining a block every second, for the whole session."""
    node = LocalNode(tmp_path_factory.mktemp("anvil-1s"))
    spec = NodeSpec("anvil", free_port(), block_time=1)
    node.up(spec)
    yield spec
    node.down()


class Backend:
    """A consortium on one backend, with the snapshot every test starts from."""

    def __init__(self, k: Consortium) -> None:
        self.k = k
        self.snaps = Snapshots(k.chain)
        self.base = self.snaps.take()

    def reset(self) -> None:
        # evm_revert consumes the snapshot (anvil): take a fresh one of the same state.
        self.snaps.revert(self.base)
        self.base = self.snaps.take()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest, build: Build) -> Backend:
    if request.param == "evm":
        chain = evm_chain(build)
    else:
        spec: NodeSpec = request.getfixturevalue("anvil_1s")
        chain = Chain(connect(spec.rpc_url), build, poll_interval=0.1)
    return Backend(build_consortium(chain))


@pytest.fixture
def k(backend: Backend) -> Iterator[Consortium]:
    yield backend.k
    backend.reset()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ledger-home"
