"""The record store on SQLite and PostgreSQL: lifecycle, refusals, tampering, erasure, rotation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from ledger.chain.records import RecordStatus
from ledger.commitments.record import canonical_json
from ledger.crypto.envelope import Keyring, binding
from ledger.errors import (
    IntegrityFailure,
    InvalidNationalId,
    InvalidRecord,
    NotAuthorized,
    RecordErased,
    RecordNotFound,
)
from ledger.ids import unhex32
from ledger.records.store import MAX_RECORD_BYTES, RecordStore
from ledger.store.models import OutboxEntry, RecordKey, RecordVersion
from tests.store.conftest import national_id
from tests.support import Consortium

HOUSEHOLD = {
    "head_of_household": "Wang Fang",
    "address": "East Gate 3-12",
    "members": 4,
    "phone": "+86 10 5555 0101",
    "housing_type": "rented",
    "income_band": "B",
}


def _add(store: RecordStore, ke: Consortium, fields: dict[str, Any] | None = None) -> bytes:
    rec = store.add(
        actor=ke.actor("rc_officer"), category="household", national_id=national_id(), fields=fields or HOUSEHOLD
    )
    return unhex32(rec.record_id)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("records", "record_versions", "record_keys", "anchor_outbox")
        }


def test_add_stores_encrypted_and_anchors_the_commitment(store: RecordStore, ke: Consortium, engine: Engine) -> None:
    rid = _add(store, ke)
    content = store.read(rid)
    assert content.fields == HOUSEHOLD
    assert content.version.anchor_state == "anchored" and content.version.anchor_tx
    on_chain = ke.c.records.get_record(rid)
    assert on_chain.commitment == content.commitment.root and on_chain.custodian == ke.rc
    assert on_chain.subject == unhex32(content.record.subject_id)
    with engine.connect() as conn:  # nothing readable at rest
        blob = conn.execute(text("SELECT ciphertext FROM record_versions")).scalar_one()
    assert b"Wang Fang" not in bytes(blob) and b"East Gate" not in bytes(blob)
    with Session(engine) as s:
        assert s.exec(select(OutboxEntry)).one().state == "anchored"


def test_update_makes_a_new_version_and_keeps_history(store: RecordStore, ke: Consortium) -> None:
    rid = _add(store, ke)
    moved = {**HOUSEHOLD, "address": "West Lane 7", "members": 5}
    rec = store.update(actor=ke.actor("rc_officer"), record_id=rid, fields=moved)
    assert rec.version == 2
    assert store.read(rid).fields == moved
    assert store.read(rid, 1).fields == HOUSEHOLD
    assert ke.c.records.commitment_of(rid, 2) == store.read(rid).commitment.root
    assert ke.c.records.commitment_of(rid, 1) == store.read(rid, 1).commitment.root
    assert [v.version for v in store.versions(rid)] == [1, 2]


@pytest.mark.parametrize(
    "fields,message",
    [
        ({k: v for k, v in HOUSEHOLD.items() if k != "phone"}, "missing field(s) for category 'household': phone"),
        ({**HOUSEHOLD, "religion": "x"}, "unknown field(s) for category 'household': religion"),
        ({**HOUSEHOLD, "address": "x" * (MAX_RECORD_BYTES + 1)}, "the limit is 65,536"),
        ({**HOUSEHOLD, "members": float("nan")}, "canonicalised"),
        (["not", "an", "object"], "JSON object"),
    ],
)
def test_invalid_records_are_refused_and_change_nothing(
    store: RecordStore, ke: Consortium, engine: Engine, fields: Any, message: str
) -> None:
    head = ke.chain.block_number()
    with pytest.raises(InvalidRecord) as info:
        _add(store, ke, fields)
    assert message in info.value.message
    assert _counts(engine) == {"records": 0, "record_versions": 0, "record_keys": 0, "anchor_outbox": 0}
    assert ke.chain.block_number() == head


def test_unknown_category_invalid_id_and_outsiders_change_nothing(
    store: RecordStore, ke: Consortium, engine: Engine
) -> None:
    head = ke.chain.block_number()
    with pytest.raises(InvalidRecord, match="unknown category 'pets'"):
        store.add(actor=ke.actor("rc_officer"), category="pets", national_id=national_id(), fields=HOUSEHOLD)
    bad_check = national_id()[:-1] + ("0" if national_id()[-1] != "0" else "1")
    with pytest.raises(InvalidNationalId, match="check digit") as info:
        store.add(actor=ke.actor("rc_officer"), category="household", national_id=bad_check, fields=HOUSEHOLD)
    assert bad_check not in info.value.message  # an ID number never lands in a message (or a log)
    with pytest.raises(NotAuthorized):  # an officer of another body
        store.add(actor=ke.actor("dept_officer"), category="household", national_id=national_id(), fields=HOUSEHOLD)
    assert _counts(engine)["records"] == 0 and ke.chain.block_number() == head


def test_flipped_byte_is_detected(store: RecordStore, ke: Consortium, engine: Engine) -> None:
    rid = _add(store, ke)
    with Session(engine) as s, s.begin():
        row = s.get(RecordVersion, ("0x" + rid.hex(), 1))
        assert row is not None and row.ciphertext is not None
        flipped = bytearray(row.ciphertext)
        flipped[len(flipped) // 2] ^= 0x01
        row.ciphertext = bytes(flipped)
    with pytest.raises(IntegrityFailure, match="failed authentication"):
        store.read(rid)


@pytest.mark.parametrize("column", ["ciphertext", "wrapped_key"])
def test_swapped_rows_are_detected(store: RecordStore, ke: Consortium, engine: Engine, column: str) -> None:
    a, b = _add(store, ke), _add(store, ke, {**HOUSEHOLD, "members": 1})
    table = RecordVersion if column == "ciphertext" else RecordKey
    with Session(engine) as s, s.begin():
        ra, rb = s.get(table, ("0x" + a.hex(), 1)), s.get(table, ("0x" + b.hex(), 1))
        va, vb = getattr(ra, column), getattr(rb, column)
        setattr(ra, column, vb)
        setattr(rb, column, va)
    for rid in (a, b):
        with pytest.raises(IntegrityFailure):
            store.read(rid)


def test_swapped_salts_are_detected(store: RecordStore, ke: Consortium, engine: Engine, keyring: Keyring) -> None:
    """Even someone holding the KEK who re-encrypts a payload with two salts swapped is caught:
    the decrypted content no longer recomputes the commitment."""
    rid = _add(store, ke)
    content = store.read(rid)
    salts = {k: v.hex() for k, v in content.commitment.salts.items()}
    salts["phone"], salts["address"] = salts["address"], salts["phone"]
    forged = keyring.seal(canonical_json({"fields": content.fields, "salts": salts}), binding(ke.rc, rid, 1))
    with Session(engine) as s, s.begin():
        row, key = s.get(RecordVersion, ("0x" + rid.hex(), 1)), s.get(RecordKey, ("0x" + rid.hex(), 1))
        assert row is not None and key is not None
        row.ciphertext, key.wrapped_key, key.kek_id = forged.ciphertext, forged.wrapped_key, forged.kek_id
    with pytest.raises(IntegrityFailure, match="does not match its commitment"):
        store.read(rid)


def test_erase_shreds_every_key_and_keeps_the_commitment(
    store: RecordStore, ke: Consortium, engine: Engine, keyring: Keyring
) -> None:
    rid = _add(store, ke)
    store.update(actor=ke.actor("rc_officer"), record_id=rid, fields={**HOUSEHOLD, "members": 3})
    keep = _add(store, ke, {**HOUSEHOLD, "head_of_household": "Li Lei"})
    commitments = [ke.c.records.commitment_of(rid, v) for v in (1, 2)]
    with Session(engine) as s:
        wrapped = {(k.record_id, k.version): bytes(k.wrapped_key) for k in s.exec(select(RecordKey))}
        cipher = {(v.record_id, v.version): bytes(v.ciphertext or b"") for v in s.exec(select(RecordVersion))}

    with pytest.raises(NotAuthorized):  # erasure is an admin decision
        store.erase(actor=ke.actor("rc_officer"), record_id=rid)
    assert store.read(rid).fields["members"] == 3
    rec = store.erase(actor=ke.actor("rc_admin"), record_id=rid)
    assert rec.status == "erased"
    with pytest.raises(RecordErased, match="was erased"):
        store.read(rid)
    with pytest.raises(RecordErased):
        store.read(rid, 1)
    on_chain = ke.c.records.get_record(rid)
    assert on_chain.status is RecordStatus.ERASED
    assert [ke.c.records.commitment_of(rid, v) for v in (1, 2)] == commitments

    # Scan the whole database: no trace of the erased record's key material or ciphertexts.
    rid_hex = "0x" + rid.hex()
    secrets_gone = [v for (r, _), v in wrapped.items() if r == rid_hex] + [v for (r, _), v in cipher.items() if r == rid_hex]
    assert len(secrets_gone) == 4
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {table}")):
                for cell in row:
                    if isinstance(cell, (bytes, memoryview)):
                        assert not any(bytes(cell).find(s[:16]) >= 0 for s in secrets_gone), table
    assert store.read(keep).fields["head_of_household"] == "Li Lei"  # the others are untouched


def test_kek_rotation_rewraps_keys_without_touching_ciphertexts(
    store: RecordStore, ke: Consortium, engine: Engine, keyring: Keyring
) -> None:
    rid = _add(store, ke)
    with Session(engine) as s:
        before = {(v.record_id, v.version): v.ciphertext for v in s.exec(select(RecordVersion))}
    old, old_epoch = keyring.active, store.epochs.current
    store.keyring = keyring.rotated()
    assert store.rewrap_all() == 1
    with Session(engine) as s:
        assert {k.kek_id for k in s.exec(select(RecordKey))} == {store.epochs.current} != {old_epoch}
        assert {(v.record_id, v.version): v.ciphertext for v in s.exec(select(RecordVersion))} == before
    assert store.epochs.held() == [store.epochs.current]  # the old epoch is gone
    store.keyring = store.keyring.without(old)  # the old KEK can be retired: it wraps nothing any more
    reopened = RecordStore(
        engine=engine,
        contracts=ke.c,
        keyring=store.keyring,
        body=ke.rc,
        consortium_secret=b"consortium secret for tests only!",
        epochs=store.epochs.path,
    )
    assert reopened.read(rid).fields == HOUSEHOLD


def test_keyring_file_round_trip(tmp_path, keyring: Keyring) -> None:
    from ledger.errors import KeyringError

    path = tmp_path / "rc.keyring.json"
    keyring.save(path, "a long keyring password")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = Keyring.load(path, "a long keyring password")
    sealed = keyring.seal(b"x", b"aad")
    assert again.open(sealed, b"aad") == b"x"
    with pytest.raises(KeyringError, match="wrong password"):
        Keyring.load(path, "not the password")
    assert Keyring.from_env(keyring.to_env()).open(sealed, b"aad") == b"x"
    assert json.loads(path.read_text())["schema"] == "civic-ledger/keyring@1"


def test_migrations_match_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []


def test_two_bodies_sharing_a_database_see_only_their_own_records(
    store: RecordStore, ke: Consortium, engine: Engine, keyring: Keyring, tmp_path: Path
) -> None:
    rid = _add(store, ke)
    other = RecordStore(
        engine=engine,
        contracts=ke.c,
        keyring=keyring,
        body=ke.dept,
        consortium_secret=b"consortium secret for tests only!",
        epochs=tmp_path / "dept.epochs",
    )
    assert other.count() == 0 and store.count() == 1
    with pytest.raises(RecordNotFound):
        other.read(rid)
    with pytest.raises(RecordNotFound):
        other.get(rid)
    assert other.records_of_subject(national_id()) == [] and len(store.records_of_subject(national_id())) == 1
