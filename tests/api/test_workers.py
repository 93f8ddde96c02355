"""``ledger serve --workers 2`` on development defaults: once each worker made up its own token secret, and
half the requests carrying a valid token were refused (401). The workers now share one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import httpx
import pytest

from ledger.client.api_client import ApiClient
from ledger.config import Settings
from ledger.local.api_processes import ApiProcess
from ledger.local.chain_node import LocalNode
from ledger.local.devkeys import dev_account
from ledger.local.system import up
from tests.support import DATABASES, free_port, pg_schema

RC_ADMIN = 4


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("workers") / "home"
    settings = Settings(home=home, node_port=free_port())
    up(settings)
    with contextlib.ExitStack() as stack:
        env = {
            **os.environ,
            "LEDGER_HOME": str(home),
            "LEDGER_NODE_PORT": str(settings.node_port),
            "LEDGER_API_WORKERS": "2",
        }
        env.pop("LEDGER_API_TOKEN_SECRET", None)  # development defaults: no secret given
        if "postgresql" in DATABASES:
            env["DATABASE_URL"] = stack.enter_context(pg_schema())
        api = ApiProcess(home, "rc-east")
        try:
            yield api.up(free_port(), env=env).url
        finally:
            api.down()
            LocalNode(home).down()


def test_two_workers_on_development_defaults_accept_each_others_tokens(two_workers: str) -> None:
    person = ApiClient(two_workers, dev_account(RC_ADMIN))
    person.login()
    statuses = []
    for _ in range(30):  # a new connection each time: the kernel hands them to either worker
        with httpx.Client(base_url=two_workers, timeout=30) as fresh:
            statuses.append(fresh.get("/auth/me", headers={"Authorization": f"Bearer {person.token}"}).status_code)
    assert statuses == [200] * 30
    for _ in range(6):  # and a sign-in's nonce from one worker is accepted by the other
        ApiClient(two_workers, dev_account(RC_ADMIN)).login()
