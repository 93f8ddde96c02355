"""The audit re-checks consent at each event's block (issue 14, item 10): a read of a category that needs
the resident's consent passes only if consent was given by that block; an event that claims an earlier
block, before the consent, is reported under check 2."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.test_flows import ASSISTANCE, CA_OFFICER, RC_ADMIN, RC_OFFICER, national_id
from tests.trail.conftest import System, system
from tests.trail.test_audit import audit, copy_of, failing


@pytest.fixture(scope="module")
def consent_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, Path, int]]:
    for s in system(tmp_path_factory.mktemp("consent"), LEDGER_TRAIL_BATCH_SIZE="4"):
        nid = national_id()
        record_id = s.signed_in(RC_OFFICER).register_record("social_assistance", nid, ASSISTANCE)
        reader = s.signed_in(CA_OFFICER)
        request_id = reader.request_access(
            scope="record",
            recordId=record_id,
            fields=["status"],
            purpose="subsistence_review",
            justification="allowance review",
        )
        grant_id = s.signed_in(RC_ADMIN).approve(request_id, days=30)
        consented = s.signed_in(RC_OFFICER).act(
            "POST",
            "/consent",
            {"grantId": grant_id, "given": True, "nationalId": nid, "evidence": "signed consent form #12"},
        )
        reader.read(record_id, ["status"], "subsistence_review")
        s.wait_anchored()
        s.api.down()
        yield s, Path(s.db_url.removeprefix("sqlite:///")), int(consented["blockNumber"])
        s.start_api()


def test_a_read_after_consent_passes_and_one_dated_before_it_fails(
    consent_db: tuple[System, Path, int], tmp_path: Path
) -> None:
    s, db, consent_block = consent_db
    report = audit(s, copy_of(db, tmp_path))
    assert report.ok, {n: c.failures for n, c in report.checks.items()}
    moved = copy_of(db, tmp_path)
    with sqlite3.connect(moved) as conn:  # the event now says the access was checked before the consent
        conn.execute("UPDATE access_events SET block = ? WHERE seq = 1", (consent_block - 1,))
    report = audit(s, moved)
    assert 2 in failing(report)
    assert any("consent was missing" in f["message"] for f in report.checks[2].failures), report.checks[2].failures
