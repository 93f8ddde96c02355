"""Erasure that survives forensics: after an erase, no copy of the store — the live database and its
WAL, a copy of the files or a pg_dump taken before the erase — yields the erased record's data key to
any key the node still holds (its keyring and its epoch keys), on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from ledger import failpoints
from ledger.crypto.envelope import Keyring, binding
from ledger.errors import IntegrityFailure
from ledger.ids import unhex32
from ledger.records.store import RecordStore
from ledger.store.epochs import EpochKeys
from tests.store.conftest import national_id
from tests.support import Consortium

SECRET = b"consortium secret for tests only!"
ERASED = {
    "head_of_household": "Zhao Minghui",
    "address": "Willow Court 7-301",
    "members": 2,
    "phone": "13800138000",
    "housing_type": "rented",
    "income_band": "low",
}
KEPT = {**ERASED, "head_of_household": "Sun Lihua", "phone": "13900139000"}


def _add(store: RecordStore, ke: Consortium, fields: dict[str, Any]) -> bytes:
    rec = store.add(actor=ke.actor("rc_officer"), category="household", national_id=national_id(), fields=fields)
    return unhex32(rec.record_id)


def _node_keys(store: RecordStore) -> list[bytes]:
    """Every key the node holds after the erase: its KEKs and the epoch keys in its file, read afresh."""
    ring = store.keyring
    epochs = EpochKeys(store.epochs.path, ring, store.body)
    return [ring.export(k) for k in ring.ids] + [epochs._ring.export(e) for e in epochs.held()]


def _unwraps(wrapped: bytes, label: str, aad: bytes, keys: list[bytes]) -> bool:
    """Whether any of ``keys`` unwraps ``wrapped`` (under the key id its row names, as an attacker would)."""
    for key in keys:
        try:
            Keyring({label: key}, label).unwrap_key(wrapped, label, aad)
            return True
        except IntegrityFailure:
            continue
    return False


def _copies_of_keys(store: RecordStore, engine: Engine, backup: Path) -> list[tuple[str, int, str, bytes]]:
    """The ``record_keys`` rows of a copy made now: the database files copied aside (SQLite) or a
    pg_dump of the schema (PostgreSQL), parsed as an attacker holding the copy would."""
    if engine.dialect.name == "sqlite":
        db = Path(str(engine.url.database))
        for f in db.parent.glob(db.name + "*"):
            shutil.copy(f, backup / f.name)
        with sqlite3.connect(backup / db.name) as conn:
            return [
                (r, v, k, bytes(w))
                for r, v, k, w in conn.execute("SELECT record_id, version, kek_id, wrapped_key FROM record_keys")
            ]
    schema = re.search(r"search_path%3D(\w+)|search_path=(\w+)", str(engine.url)).group(1) or ""
    dump = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", "-n", schema, "test"], capture_output=True, text=True, check=True
    ).stdout
    (backup / "dump.sql").write_text(dump)
    block = dump.split(f"COPY {schema}.record_keys ", 1)[1].split("\n\\.\n", 1)[0].splitlines()[1:]
    rows = [line.split("\t") for line in block]
    return [(r, int(v), k, bytes.fromhex(w.removeprefix("\\\\x"))) for r, v, k, w in rows]


def test_an_erased_record_cannot_be_recovered_from_any_copy(
    store: RecordStore, ke: Consortium, engine: Engine, tmp_path: Path
) -> None:
    erased, kept = _add(store, ke, ERASED), _add(store, ke, KEPT)
    before = tmp_path / "backup-before-erase"
    before.mkdir()
    old_rows = _copies_of_keys(store, engine, before)
    aad = {("0x" + rid.hex(), 1): binding(store.body, rid, 1) for rid in (erased, kept)}
    # The copy made before the erase is what an attacker would hold: today it opens with the node's keys.
    assert all(_unwraps(w, k, aad[(r, v)], _node_keys(store)) for r, v, k, w in old_rows)

    store.erase(actor=ke.actor("rc_admin"), record_id=erased)

    held = _node_keys(store)
    for r, v, label, wrapped in old_rows:  # the old copy is dead whole: its epoch no longer exists
        assert not _unwraps(wrapped, label, aad[(r, v)], held), r
    after = tmp_path / "copy-after-erase"
    after.mkdir()
    rows_now = _copies_of_keys(store, engine, after)
    assert {r for r, *_ in rows_now} == {"0x" + kept.hex()}
    assert all(_unwraps(w, k, aad[(r, v)], held) for r, v, k, w in rows_now)  # the kept record still opens
    assert store.read(kept).fields == KEPT

    # No file the node keeps holds the erased record's wrapped data key, and no file anywhere holds its
    # plaintext (the node never writes it in the clear).
    erased_keys = [w for r, _, _, w in old_rows if r == "0x" + erased.hex()]
    home_files = [f for f in tmp_path.rglob("*") if f.is_file() and before not in f.parents]
    epochs = [f for f in home_files if f.suffix == ".json" and "epochs" in f.name]
    assert epochs and all(f.stat().st_mode & 0o777 == 0o600 for f in epochs)  # the operator's alone
    assert store.epochs.path.parent.stat().st_mode & 0o077 == 0
    for f in home_files:
        data = f.read_bytes()
        assert not any(k in data for k in erased_keys), f  # SQLite: secure_delete and a truncated WAL
    for f in tmp_path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for value in ("Zhao Minghui", "Willow Court", "13800138000"):
                assert value.encode() not in data and value.encode("utf-16-le") not in data, (f, value)


class PowerCut(BaseException):
    pass


def test_an_erasure_cut_off_before_its_last_step_finishes_when_the_store_opens(
    store: RecordStore, ke: Consortium, engine: Engine, keyring: Keyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    erased, kept = _add(store, ke, ERASED), _add(store, ke, KEPT)

    def cut(name: str) -> None:
        if name == "store.erase_before_shred":
            raise PowerCut(name)

    monkeypatch.setattr(failpoints, "hit", cut)
    with pytest.raises(PowerCut):  # the re-wrap committed; the old epoch key is still on disk
        store.erase(actor=ke.actor("rc_admin"), record_id=erased)
    monkeypatch.undo()
    assert len(store.epochs.held()) == 2  # the old epoch outlived the crash...
    reopened = RecordStore(
        engine=engine, contracts=ke.c, keyring=keyring, body=ke.rc, consortium_secret=SECRET, epochs=store.epochs.path
    )
    assert reopened.epochs.held() == [reopened.epochs.current]  # ...and is destroyed on opening
    assert reopened.read(kept).fields == KEPT
    assert reopened.get(erased).status == "erased"
