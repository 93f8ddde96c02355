"""Store fixtures: a consortium on the in-process EVM, and a record database on SQLite and,
when the server at 127.0.0.1:5432 answers, on PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Iterator

import psycopg
import pytest
from sqlalchemy.engine import Engine

from ledger.chain.compiler import Build
from ledger.envelope import Keyring
from ledger.store.db import open_engine, sqlite_url
from ledger.store.records import RecordStore
from ledger.subjects import check_character
from tests.conftest import Backend
from tests.support import Consortium, build_consortium, evm_chain

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


DATABASES = ["sqlite"] + (["postgresql"] if _postgres_reachable() else [])


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
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    eng = open_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield eng
    finally:
        eng.dispose()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate()


@pytest.fixture
def store(ke: Consortium, engine: Engine, keyring: Keyring) -> RecordStore:
    return RecordStore(engine=engine, contracts=ke.c, keyring=keyring, body=ke.rc,
                       consortium_secret=b"consortium secret for tests only!")
