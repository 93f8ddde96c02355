"""The audit finds every tampering with the off-chain database, and passes an untouched one.

A real system writes a trail (reads of two residents' records under grants, and an own-body
read), anchors it in batches of four, and stops. Each mutation is made on a copy of its
database, as someone with write access to it would make it; the audit must report it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.node import Auditor, AuditReport
from ledger.crypto.envelope import binding
from ledger.index.indexer import Indexer
from ledger.local.system import open_chain, open_store
from tests.api.test_flows import RC_OFFICER
from tests.trail.conftest import System


@pytest.fixture(scope="module")
def trail_db(sys_small_batches: System) -> Iterator[Path]:
    s = sys_small_batches
    _, record_a, reader = s.granted_record()
    _, record_b, _ = s.granted_record()
    for record in (record_a, record_b, record_a, record_b, record_a, record_a, record_b):
        reader.read(record, ["address"], "subsistence_review")
    s.signed_in(RC_OFFICER).read(record_a, ["members"], "housing_assistance")  # own body: no grant needed
    trail = s.wait_anchored()
    assert trail["anchoredThrough"] == 8
    s.api.down()  # a quiet database to copy
    yield Path(s.db_url.removeprefix("sqlite:///"))
    s.start_api()


def copy_of(db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    with sqlite3.connect(db) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def audit(system: System, db: Path, workers: int = 1) -> AuditReport:
    settings = system.settings.model_copy(update={"database_url": f"sqlite:///{db}"})
    chain = open_chain(settings)
    store = open_store(settings, chain, "rc-east")
    try:
        indexer = Indexer(store.engine, chain, from_block=chain.manifest.deploy_block if chain.manifest else 0)
        return Auditor(store, indexer, workers=workers).run()
    finally:
        store.engine.dispose()


def failing(report: AuditReport) -> set[int]:
    return {n for n, c in report.checks.items() if not c.ok}


def test_untouched_database_passes(sys_small_batches: System, trail_db: Path, tmp_path: Path) -> None:
    db = copy_of(trail_db, tmp_path)
    with sqlite3.connect(db) as conn:
        versions = conn.execute("SELECT COUNT(*) FROM record_versions").fetchone()[0]  # with the demo's records
    report = audit(sys_small_batches, db, workers=2)
    assert report.ok, {n: c.failures for n, c in report.checks.items()}
    assert report.events == 8
    assert [c.checked for c in report.checks.values()] == [versions, 8, 8, 8]
    assert report.unreviewed_emergencies == []


def _sql(*statements: str) -> Callable[[sqlite3.Connection], None]:
    def run(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return run


def _flip_ciphertext_byte(conn: sqlite3.Connection) -> None:
    rid, version, blob = conn.execute("SELECT record_id, version, ciphertext FROM record_versions LIMIT 1").fetchone()
    blob = bytearray(blob)
    blob[len(blob) // 2] ^= 0x01
    conn.execute(
        "UPDATE record_versions SET ciphertext = ? WHERE record_id = ? AND version = ?", (bytes(blob), rid, version)
    )


def _swap_events(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE access_events SET seq = -1 WHERE seq = 5")
    conn.execute("UPDATE access_events SET seq = 5 WHERE seq = 6")
    conn.execute("UPDATE access_events SET seq = 6 WHERE seq = -1")


def _other_grant(conn: sqlite3.Connection) -> None:
    grant_1, grant_2 = (
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT grant_id FROM access_events WHERE grant_id > 0 ORDER BY seq LIMIT 2"
        ).fetchall()
    )
    conn.execute("UPDATE access_events SET grant_id = ? WHERE seq = 1", (grant_2,))
    assert grant_1 != grant_2


MUTATIONS: dict[str, tuple[Callable[[sqlite3.Connection], None], set[int]]] = {
    "flip a byte of a record's ciphertext": (_flip_ciphertext_byte, {1}),
    "edit an event's fields": (
        _sql("""UPDATE access_events SET fields = '["address", "income_band"]'
                                       WHERE seq = 2"""),
        {3, 4},
    ),
    "delete an event": (_sql("DELETE FROM access_events WHERE seq = 3"), {3}),
    "reorder two events": (_swap_events, {3}),
    "change an event's timestamp": (_sql("UPDATE access_events SET at = '2026-01-01 08:00:00.000000' WHERE seq = 7"), {3}),
    "point an event at another grant": (_other_grant, {2, 3, 4}),
    "delete a batch row": (_sql("DELETE FROM trail_anchors WHERE first_seq = 5"), {3}),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_each_tampering_is_reported(name: str, sys_small_batches: System, trail_db: Path, tmp_path: Path) -> None:
    db = copy_of(trail_db, tmp_path)
    mutate, checks = MUTATIONS[name]
    with sqlite3.connect(db) as conn:
        mutate(conn)
    report = audit(sys_small_batches, db)
    assert not report.ok
    assert checks <= failing(report), {n: c.failures for n, c in report.checks.items()}


def test_a_read_hidden_from_its_resident_as_sealed_without_a_seal_is_reported(
    sys_small_batches: System, trail_db: Path, tmp_path: Path
) -> None:
    """A node that writes a read as sealed, so its resident never sees it, with no seal on-chain over its grant."""
    db = copy_of(trail_db, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE access_events SET seal_id = 7 WHERE seq = 2")
    report = audit(sys_small_batches, db)
    assert not report.ok
    found = [f for f in report.checks[2].failures if f["code"] == "seal_differs"]
    assert [(f["ref"], f["vars"]) for f in found] == [("2", {"written": 7, "on_chain": 0})], report.checks[2].failures


def test_a_batch_mined_before_its_node_settled_it_passes(sys_small_batches: System, trail_db: Path, tmp_path: Path) -> None:
    """The anchor worker prepares a batch, sends it, and marks it anchored once mined: an audit (or a kill -9)
    in between sees the chain's anchor and a prepared row of the same root. A row the node calls anchored
    that the chain does not hold is a finding."""
    db = copy_of(trail_db, tmp_path)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE trail_anchors SET state = 'prepared', block = NULL, anchored_at = NULL WHERE first_seq = 5")
    report = audit(sys_small_batches, db)
    assert report.ok, {n: c.failures for n, c in report.checks.items()}
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE trail_anchors SET root = ? WHERE first_seq = 5", ("0x" + "ab" * 32,))
    assert 3 in failing(audit(sys_small_batches, db))  # prepared under another root than the chain's
    db = copy_of(trail_db, tmp_path)
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT * FROM trail_anchors WHERE first_seq = 5").fetchone()
        names = [d[0] for d in conn.execute("SELECT * FROM trail_anchors LIMIT 0").description]
        fake = dict(zip(names, row, strict=True)) | {"first_seq": 9, "last_seq": 9}
        fake.pop("id", None)
        conn.execute(
            f"INSERT INTO trail_anchors ({', '.join(fake)}) VALUES ({', '.join('?' * len(fake))})", list(fake.values())
        )
    report = audit(sys_small_batches, db)
    assert any(f["code"] == "anchor_not_on_chain" for f in report.checks[3].failures), report.checks[3].failures


def test_a_changed_salt_is_reported(sys_small_batches: System, trail_db: Path, tmp_path: Path) -> None:
    """Salts live inside the ciphertext: re-encrypt a version with one salt changed (an insider with the key)."""
    db = copy_of(trail_db, tmp_path)
    settings = sys_small_batches.settings.model_copy(update={"database_url": f"sqlite:///{db}"})
    store = open_store(settings, open_chain(settings), "rc-east")
    with sqlite3.connect(db) as conn:
        rid, version = conn.execute("SELECT record_id, version FROM record_versions LIMIT 1").fetchone()
    content = store.read(bytes.fromhex(rid[2:]), version)
    salts = {k: v.hex() for k, v in content.commitment.salts.items()}
    first = sorted(salts)[0]
    salts[first] = os.urandom(32).hex()
    payload = json.dumps({"fields": content.fields, "salts": salts}).encode()
    sealed = store.keyring.seal(payload, binding(store.body, bytes.fromhex(rid[2:]), version))
    store.engine.dispose()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE record_versions SET ciphertext = ? WHERE record_id = ? AND version = ?",
            (sealed.ciphertext, rid, version),
        )
        conn.execute(
            "UPDATE record_keys SET wrapped_key = ?, kek_id = ? WHERE record_id = ? AND version = ?",
            (sealed.wrapped_key, sealed.kek_id, rid, version),
        )
    report = audit(sys_small_batches, db)
    assert failing(report) == {1}
    assert "does not match its commitment" in report.checks[1].failures[0]["message"]


def _ledger(system: System, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**system.env, "DATABASE_URL": f"sqlite:///{db}"}
    return subprocess.run(
        [str(Path(sys.executable).with_name("ledger")), *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_ledger_audit_command(sys_small_batches: System, trail_db: Path, tmp_path: Path) -> None:
    clean = copy_of(trail_db, tmp_path)
    done = _ledger(sys_small_batches, clean, "audit", "--body", "rc-east")
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["ok"] and report["events"] == 8
    assert "4. Every signature in the trail verifies: pass" in done.stderr

    with sqlite3.connect(clean) as conn:
        conn.execute("DELETE FROM access_events WHERE seq = 8")
    page = tmp_path / "audit.html"
    done = _ledger(sys_small_batches, clean, "audit", "--body", "rc-east", "--format", "html", "--out", str(page))
    assert done.returncode == 1
    assert "FAILED" in page.read_text() and "the chain anchors events up to 8" in page.read_text()
    done = _ledger(sys_small_batches, clean, "audit", "--body", "rc-east", "--format", "csv")
    assert done.returncode == 1 and ",FAIL," in done.stdout
