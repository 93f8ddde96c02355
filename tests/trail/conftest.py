"""A system of its own for the trail's crash, outage, audit and indexer tests: anvil with
1-second blocks, the demo consortium, and rc-east's API, which the tests kill and restart."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ledger.chain.deploy import Contracts
from ledger.client.api_client import ApiClient
from ledger.config import Settings
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode, port_free, process_alive
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain, up
from tests.api.conftest import BLOCK_TIME, TOKEN_SECRET
from tests.api.test_flows import CA_OFFICER, HOUSEHOLD, RC_ADMIN, RC_OFFICER, national_id
from tests.support import free_port, rpc


@dataclass
class System:
    home: Path
    settings: Settings
    env: dict[str, str]
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        self.api = ApiProcess(self.home, "rc-east")
        self.node = LocalNode(self.home)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def contracts(self) -> Contracts:
        return Contracts.of(open_chain(self.settings))

    @property
    def db_url(self) -> str:
        return self.settings.store_url("rc-east")

    def start_api(self) -> None:
        """Starts the API; on a new port if another process (another test worker) took the old one meanwhile."""
        if not port_free(self.port):
            self.port = free_port()
        self.api.up(self.port, env=self.env)

    def kill_api(self) -> None:
        """SIGKILL: no shutdown, no flush, as a power cut or the OOM killer would."""
        info = self.api.info()
        assert info is not None
        os.killpg(info.pid, signal.SIGKILL)
        while process_alive(info.pid):
            time.sleep(0.02)

    def signed_in(self, index: int) -> ApiClient:
        """A client of the API as it runs now (a restart may move it to another port)."""
        c = ApiClient(self.url, dev_account(index))
        c.login()
        return c

    def rpc(self, method: str, *params: object) -> object:
        return rpc(self.settings.effective_rpc_url, method, *params)

    def chain_up(self) -> None:
        self.node.up(self.settings.node_spec)
        self.rpc("evm_setIntervalMining", BLOCK_TIME)

    def health(self) -> dict[str, object]:
        return dict(httpx.get(self.url + "/health", timeout=10).json())

    def wait_anchored(self, timeout: float = 60.0) -> dict[str, object]:
        """Waits until the node reports every event anchored; returns its trail status."""
        deadline = time.monotonic() + timeout
        while True:
            trail = dict(self.health()["trail"])  # type: ignore[arg-type]
            if trail["unanchored"] == 0 and trail["consecutiveFailures"] == 0:
                return trail
            if time.monotonic() > deadline:
                raise AssertionError(f"not anchored within {timeout}s: {trail}")
            time.sleep(0.3)

    def granted_record(self) -> tuple[str, str, ApiClient]:
        """A record at rc-east and the civil affairs officer's grant of two fields: (nid, record id, reader)."""
        nid = national_id()
        record_id = self.signed_in(RC_OFFICER).register_record("household", nid, HOUSEHOLD)
        reader = self.signed_in(CA_OFFICER)
        request_id = reader.request_access(
            scope="record",
            recordId=record_id,
            fields=["address", "income_band"],
            purpose="subsistence_review",
            justification="allowance review",
        )
        self.signed_in(RC_ADMIN).approve(request_id, days=30)
        return nid, record_id, reader


def system(tmp: Path, **env: str) -> Iterator[System]:
    settings = Settings(home=tmp / "home", node_port=free_port())
    up(settings)
    s = System(
        tmp / "home",
        settings,
        {
            **os.environ,
            "LEDGER_HOME": str(settings.home),
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
            **env,
        },
    )
    s.rpc("evm_setIntervalMining", BLOCK_TIME)
    try:
        s.start_api()
        yield s
    finally:
        s.api.down()
        s.node.down()


@pytest.fixture(scope="session")
def sys_resilience(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Batches of at most 5 events, due 3 seconds after the oldest."""
    yield from system(tmp_path_factory.mktemp("resilience"), LEDGER_TRAIL_BATCH_SIZE="5", LEDGER_TRAIL_BATCH_INTERVAL="3")


@pytest.fixture(scope="session")
def sys_small_batches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """Batches of at most 4 events, so a few reads make several anchors."""
    yield from system(tmp_path_factory.mktemp("trail"), LEDGER_TRAIL_BATCH_SIZE="4")
