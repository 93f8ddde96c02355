"""`ledger bench faults` driven as an operator would, with a few kills: the API and anvil SIGKILLed under
load, PostgreSQL connections terminated (when the server answers), and what the client was told checked
against the node and the chain."""

from __future__ import annotations

import contextlib

import pytest

from tests.support import DATABASES, pg_schema

pytestmark = pytest.mark.node


def test_bench_faults_kills_the_node_under_load_and_loses_nothing(cli) -> None:
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(pg_schema()) if "postgresql" in DATABASES else None
        args = ["bench", "faults", "--api-kills", "2", "--anvil-kills", "1", "--pg-seconds", "3", "--json"]
        figures = cli(*args, *(["--database", database] if database else []), timeout=600).json()
    assert (figures["recordsLost"], figures["readsWithoutEvent"], figures["duplicateAnchors"]) == (0, 0, 0)
    assert figures["load"]["recordsConfirmed"] > 0 and figures["load"]["readsAnswered"] > 0
    assert figures["eventsAnchored"] == figures["eventsStored"] >= figures["load"]["readsAnswered"]
    assert figures["api"]["kills"] == 2 and figures["api"]["recoveryMaxSeconds"] > 0
    assert figures["anvil"]["kills"] == 1
    if database:
        pg = figures["postgresql"]
        assert pg["connectionsTerminated"] > 0 and pg["serverErrors"] == 0
