"""Database engines for the record store, migrated to the latest schema on open.

SQLite (a file under the ledger home) by default; PostgreSQL when ``DATABASE_URL`` says
``postgresql://…`` (driven by psycopg 3). Schema changes are Alembic migrations
(``ledger/store/migrations``), applied by :func:`open_engine`.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import create_engine

from ledger.errors import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use psycopg 3; SQLite URLs pass through."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    raise StoreError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")


def sqlite_url(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite:///{path}"


def _private(url: str) -> None:
    """A SQLite database and its WAL and shared-memory files readable by their owner only (created
    before the node set its umask, or by another tool)."""
    path = Path(url.removeprefix("sqlite:///"))
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if f.exists():
            f.chmod(0o600)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")  # a commit survives power loss: the outbox relies on it
    cur.execute("PRAGMA secure_delete=ON")  # deleted content is overwritten, not left in free pages
    cur.close()


def open_engine(url: str, **kwargs: Any) -> Engine:
    """An engine on ``url`` whose schema is migrated to the latest revision."""
    url = normalise_url(url)
    if url.startswith("sqlite"):  # a writer waits for another process's commit rather than failing at once
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    if url.startswith("sqlite:///"):
        _private(url)
    return engine


#: Advisory lock key (PostgreSQL) held while migrating: the worker processes of one node open it at once.
MIGRATION_LOCK = 0x0C1C1E


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[None]:
    """On SQLite, a lock file beside the database serialises migrations of several processes."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with open(path + ".migrate.lock", "a+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def migrate(engine: Engine, revision: str = "head") -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with _migrating(engine), engine.begin() as conn:
            if engine.dialect.name == "postgresql":  # several processes opening one database: one at a time
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the record database: {exc.__class__.__name__}: {exc.orig or exc}"
            if hasattr(exc, "orig")
            else f"cannot open the record database: {exc}"
        ) from exc
