"""The audit re-decides reads by grid and post at the block each was checked (issue 25): a grid worker's read
of their own grid and a read under a grant bound to an assignment pass, also after the assignment ended; an
event that claims a read after the assignment ended, or by a worker of another grid, fails check 2."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.local.demo import demo_record_id
from ledger.local.devkeys import dev_account
from tests.api.test_flows import HOUSEHOLD, RC_ADMIN, RC_OFFICER, national_id
from tests.trail.conftest import System, system
from tests.trail.test_audit import audit, copy_of, failing

GRID1_WORKER, GRID2_WORKER, CA_ADMIN, CASEWORKER2 = 26, 30, 10, 31
ZHANG_HOUSEHOLD = "0x" + demo_record_id(0).hex()  # grid 1


@pytest.fixture(scope="module")
def posts_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[System, Path, int, int, int]]:
    for s in system(tmp_path_factory.mktemp("posts"), LEDGER_TRAIL_BATCH_SIZE="4"):
        grid_read = int(s.signed_in(GRID1_WORKER).read(ZHANG_HOUSEHOLD, ["address"], "grid_management")["receipt"]["seq"])
        record_id = s.signed_in(RC_OFFICER).register_record("household", national_id(), HOUSEHOLD)
        caseworker = s.signed_in(CASEWORKER2)
        assignment = caseworker.request("GET", "/assignments/mine")["id"]
        request_id = caseworker.request_access(
            scope="record", recordId=record_id, fields=["members"], purpose="subsistence_review", justification="case 7"
        )
        s.signed_in(RC_ADMIN).approve(request_id, days=30)
        bound_read = int(caseworker.read(record_id, ["members"], "subsistence_review")["receipt"]["seq"])
        ended = s.signed_in(CA_ADMIN).act("DELETE", f"/assignments/{assignment}")
        s.wait_anchored()
        s.api.down()
        yield s, Path(s.db_url.removeprefix("sqlite:///")), grid_read, bound_read, int(ended["blockNumber"])
        s.start_api()


def test_reads_by_grid_and_by_a_bound_grant_pass_after_the_post_ended(
    posts_db: tuple[System, Path, int, int, int], tmp_path: Path
) -> None:
    s, db, *_ = posts_db
    report = audit(s, copy_of(db, tmp_path))
    assert report.ok, {n: c.failures for n, c in report.checks.items()}


def test_the_audit_fails_a_read_claimed_after_the_post_ended(
    posts_db: tuple[System, Path, int, int, int], tmp_path: Path
) -> None:
    s, db, _grid, bound, ended_block = posts_db
    moved = copy_of(db, tmp_path)
    with sqlite3.connect(moved) as conn:  # the event now says the read was checked after the assignment ended
        conn.execute("UPDATE access_events SET block = ? WHERE seq = ?", (ended_block, bound))
    report = audit(s, moved)
    assert 2 in failing(report)
    assert any(
        f["item"] == f"event {bound}" and "assignment the grant was bound to had ended" in f["message"]
        for f in report.checks[2].failures
    ), report.checks[2].failures


def test_the_audit_fails_a_read_claimed_by_another_grids_worker(
    posts_db: tuple[System, Path, int, int, int], tmp_path: Path
) -> None:
    s, db, grid, _bound, _ended = posts_db
    swapped = copy_of(db, tmp_path)
    with sqlite3.connect(swapped) as conn:  # the event now names grid 2's worker as the reader
        conn.execute("UPDATE access_events SET reader = ? WHERE seq = ?", (dev_account(GRID2_WORKER).address, grid))
    report = audit(s, swapped)
    assert 2 in failing(report)
    assert any(f["item"] == f"event {grid}" and "outside the grids" in f["message"] for f in report.checks[2].failures), (
        report.checks[2].failures
    )
