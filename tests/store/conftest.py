"""Store fixtures: a consortium on the in-process EVM, and a record database on SQLite and,
when the server at 127.0.0.1:5432 answers, on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from ledger.chain.compiler import Build
from ledger.crypto.envelope import Keyring
from ledger.crypto.subjects import check_character
from ledger.records.store import RecordStore
from ledger.store.db import open_engine, sqlite_url
from tests.conftest import Backend
from tests.support import DATABASES, Consortium, build_consortium, evm_chain, pg_schema


def national_id(first17: str = "11010519491231002") -> str:
    return first17 + check_character(first17)


@pytest.fixture(scope="session")
def evm_backend(build: Build) -> Backend:
    return Backend(build_consortium(evm_chain(build)))


@pytest.fixture
def ke(evm_backend: Backend) -> Iterator[Consortium]:
    yield evm_backend.k
    evm_backend.reset()


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = open_engine(sqlite_url(tmp_path / "store.db"))
        yield eng
        eng.dispose()
        return
    with pg_schema() as url:
        eng = open_engine(url)
        try:
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def store(ke: Consortium, engine: Engine, keyring: Keyring, tmp_path: Path) -> RecordStore:
    return RecordStore(
        engine=engine,
        contracts=ke.c,
        keyring=keyring,
        body=ke.rc,
        consortium_secret=b"consortium secret for tests only!",
        epochs=tmp_path / "keys" / "rc.epochs.json",
    )
