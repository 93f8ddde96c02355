"""The audit applies an emergency's verdict and purpose (issue 21): ``ledger audit`` once counted reads under a
declaration reviewed as unjustified, or with another purpose than the declaration's, as reviewed. Such reads
are now refused by the contract; an event that claims one (moved after the verdict, or its purpose
rewritten) fails check 2, naming the declaration."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_flows import HOUSEHOLD, RC_ADMIN, RC_OFFICER, national_id
from tests.trail.conftest import System, system
from tests.trail.test_audit import audit, copy_of, failing

PS_OFFICER = 15  # public security, emergency role


@pytest.fixture(scope="module")
def verdict_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, Path, int, int]]:
    for s in system(tmp_path_factory.mktemp("verdict"), LEDGER_TRAIL_BATCH_SIZE="4"):
        record_id = s.signed_in(RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
        responder = s.signed_in(PS_OFFICER)
        emergency = responder.declare_emergency(record_id, ["phone"], "a hunch, nothing more")
        seq = int(responder.read(record_id, ["phone"], "emergency_response", emergency_id=emergency)["receipt"]["seq"])
        verdict = s.signed_in(RC_ADMIN).act(
            "POST", f"/emergencies/{emergency}/review", {"justified": False, "outcome": "no emergency: curiosity"}
        )
        s.wait_anchored()
        s.api.down()
        yield s, Path(s.db_url.removeprefix("sqlite:///")), seq, int(verdict["blockNumber"])
        s.start_api()


def test_a_read_before_an_unjustified_verdict_passes_and_is_counted(
    verdict_db: tuple[System, Path, int, int], tmp_path: Path
) -> None:
    s, db, _seq, _verdict = verdict_db
    report = audit(s, copy_of(db, tmp_path))
    assert report.ok, {n: c.failures for n, c in report.checks.items()}
    assert any("later reviewed as unjustified" in note for note in report.checks[2].notes), report.checks[2].notes


def test_the_audit_fails_a_read_after_an_unjustified_verdict(
    verdict_db: tuple[System, Path, int, int], tmp_path: Path
) -> None:
    s, db, seq, verdict_block = verdict_db
    moved = copy_of(db, tmp_path)
    with sqlite3.connect(moved) as conn:  # the event now says the read was checked after the verdict
        conn.execute("UPDATE access_events SET block = ? WHERE seq = ?", (verdict_block, seq))
    report = audit(s, moved)
    assert 2 in failing(report)
    assert any(
        f["item"] == f"event {seq}" and "reviewed the declaration as unjustified" in f["message"]
        for f in report.checks[2].failures
    ), report.checks[2].failures


def test_the_audit_fails_a_read_with_another_purpose_than_the_declarations(
    verdict_db: tuple[System, Path, int, int], tmp_path: Path
) -> None:
    s, db, seq, _verdict = verdict_db
    changed = copy_of(db, tmp_path)
    with sqlite3.connect(changed) as conn:
        conn.execute("UPDATE access_events SET purpose = 'subsistence_review' WHERE seq = ?", (seq,))
    report = audit(s, changed)
    assert any(
        f["item"] == f"event {seq}" and "the declaration is for 'emergency_response'" in f["message"]
        for f in report.checks[2].failures
    ), report.checks[2].failures
