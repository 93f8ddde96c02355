"""API fixtures: a local system (anvil, contracts, demo consortium) and the API run by real
uvicorn in its own process (`ledger serve`), as a body's node runs it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.client import Chain
from ledger.chain.deploy import Contracts
from ledger.client.api_client import ApiClient
from ledger.config import Settings
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode
from ledger.local.devkeys import dev_account
from ledger.local.system import open_chain, up
from tests.support import DATABASES, free_port, pg_schema, rpc

TOKEN_SECRET = "test-only token secret, 32+ characters long"
BLOCK_TIME = 1  # seconds, as the end-to-end tests ask
CODE_ATTEMPTS, CODE_WINDOW = 5, 3.0  # access-code rate limit, small enough to test
NONCE_ATTEMPTS = 60  # sign-in nonces per client per CODE_WINDOW


@dataclass
class Api:
    url: str
    contracts: Contracts
    chain: Chain
    settings: Settings
    dialect: str  # of the API's database: sqlite or postgresql
    database: str  # its URL

    def sql(self, query: str) -> list[tuple[object, ...]]:
        """Rows of a query on the node's own database (what its operator could see)."""
        from sqlalchemy import create_engine, text

        from ledger.store.db import normalise_url

        engine = create_engine(normalise_url(self.database))
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(query))]
        finally:
            engine.dispose()

    def client(self, index: int | None = None) -> ApiClient:
        return ApiClient(self.url, dev_account(index) if index is not None else None)

    def signed_in(self, who: int | LocalAccount) -> ApiClient:
        c = ApiClient(self.url, dev_account(who) if isinstance(who, int) else who)
        c.login()
        return c

    def rpc(self, method: str, *params: object) -> object:
        return rpc(self.settings.effective_rpc_url, method, *params)

    def node_sees_head(self, timeout: float = 10.0) -> int:
        """Waits until the node follows the chain's current head (it polls it; a block mined behind its
        back is seen within its poll interval); returns that block."""
        import time

        import httpx

        block = int(str(self.rpc("eth_blockNumber")), 16)
        deadline = time.monotonic() + timeout
        while (httpx.get(self.url + "/health", timeout=5).json()["chain"].get("head") or 0) < block:
            assert time.monotonic() < deadline, f"the node did not see block {block} within {timeout}s"
            time.sleep(0.05)
        return block


@pytest.fixture(scope="session", params=DATABASES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The API on SQLite, and again on PostgreSQL when the server answers."""
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_schema()) if request.param == "postgresql" else None
        yield from _serve(tmp_path_factory.mktemp("api") / "home", database)


def _serve(home: Path, database: str | None, *, workers: int = 1) -> Iterator[Api]:
    settings = Settings(home=home, node_port=free_port())
    up(settings)  # the demo is built with instant mining; from here on, a block a second
    rpc(settings.effective_rpc_url, "evm_setIntervalMining", BLOCK_TIME)
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_HOME": str(home),
        "LEDGER_NODE_PORT": str(settings.node_port),
        "LEDGER_API_TOKEN_SECRET": TOKEN_SECRET,
        "LEDGER_API_CODE_ATTEMPTS": str(CODE_ATTEMPTS),
        "LEDGER_API_CODE_WINDOW": str(CODE_WINDOW),
        "LEDGER_API_NONCE_ATTEMPTS": str(NONCE_ATTEMPTS),
    }
    if database:
        env["DATABASE_URL"] = database
    if workers > 1:
        env["LEDGER_API_WORKERS"] = str(workers)
    api = ApiProcess(home, "rc-east")
    try:
        url = api.up(port, env=env).url
        chain = open_chain(settings)
        yield Api(
            url,
            Contracts.of(chain),
            chain,
            settings,
            "postgresql" if database else "sqlite",
            database or settings.store_url("rc-east"),
        )
    finally:
        api.down()
        LocalNode(home).down()
