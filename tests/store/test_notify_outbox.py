"""The notices' outbox follows the trail: instant notices per sensitive read, one digest per resident and
window, a late read after its digest went told on its own; and the gateway's signature check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, update
from sqlmodel import col

from ledger.notify.delivery import signature, verify
from ledger.notify.outbox import Outbox, Windows
from ledger.store.db import open_engine, sqlite_url
from ledger.store.models import AccessEvent, Notice

BODY = b"rc-east".ljust(32, b"\0")
ZONE = ZoneInfo("Asia/Shanghai")


def _event(engine: Engine, seq: int, subject: int, category: str, at: dt.datetime, grant: int = 1) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(AccessEvent),
            [
                dict(
                    body="0x" + BODY.hex(),
                    seq=seq,
                    reader="0x" + "ab" * 20,
                    reader_body="0x" + "cd" * 32,
                    record_id=f"0x{seq:064x}",
                    version=1,
                    subject_id=f"0x{subject:064x}",
                    category=category,
                    fields='["address"]',
                    purpose="subsistence_review",
                    grant_id=grant,
                    emergency_id=0,
                    subject_prev=0,
                    block=seq,
                    at=at,
                    request="{}",
                    signature="0x",
                    request_digest=f"0x{seq:064x}",
                    event_hash="0x",
                )
            ],
        )


def _notices(engine: Engine) -> list[Notice]:
    with engine.connect() as conn:
        return [Notice.model_validate(dict(r._mapping)) for r in conn.execute(Notice.__table__.select()).all()]  # type: ignore[attr-defined]


def test_digest_windows_start_at_local_midnight() -> None:
    w = Windows(86_400, ZONE)
    start, end = w.of(dt.datetime(2026, 12, 6, 17, 30, tzinfo=dt.UTC))  # 01:30 on the 7th in Beijing
    assert start == dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC) and end - start == dt.timedelta(days=1)
    start, end = Windows(4, ZONE).of(dt.datetime(2026, 12, 6, 4, 0, 9, tzinfo=dt.UTC))
    assert (start.second, end.second) == (8, 12)


def test_the_outbox_follows_the_trail_once_and_tells_a_late_read_on_its_own(tmp_path: Path) -> None:
    engine = open_engine(sqlite_url(tmp_path / "n.db"))
    outbox = Outbox(engine, BODY, sensitive=["health"], windows=Windows(86_400, ZONE))
    noon = dt.datetime(2026, 12, 6, 4, 0, tzinfo=dt.UTC)  # 12:00 in Beijing
    for seq, (subject, category) in enumerate([(1, "household"), (1, "household"), (2, "household"), (1, "health")], 1):
        _event(engine, seq, subject, category, noon + dt.timedelta(minutes=seq))
    assert outbox.follow() == 4 and outbox.follow() == 0  # the cursor moved with the notices
    got = sorted((n.kind, n.subject_id[-1], n.seq) for n in _notices(engine))
    assert got == [("digest", "1", 1), ("digest", "2", 3), ("instant", "1", 4)]  # one digest per resident and day
    digest = next(n for n in _notices(engine) if n.kind == "digest" and n.subject_id.endswith("1"))
    assert digest.next_attempt_at == dt.datetime(2026, 12, 6, 16, 0, 30, tzinfo=dt.UTC)  # the day's end, 30 s after
    # the day's digest went; a read of that day the outbox reaches only now is told on its own
    with engine.begin() as conn:
        conn.execute(update(Notice).where(col(Notice.id) == digest.id).values(state="delivered"))
    _event(engine, 5, 1, "household", noon + dt.timedelta(minutes=30))
    assert outbox.follow() == 1
    late = [n for n in _notices(engine) if n.kind == "late"]
    assert [(n.seq, n.state) for n in late] == [(5, "pending")] and outbox.pending() == 3


def test_a_standing_agreements_batch_is_one_notice_a_day_to_each_resident_even_of_a_sensitive_category(
    tmp_path: Path,
) -> None:
    engine = open_engine(sqlite_url(tmp_path / "n.db"))
    outbox = Outbox(engine, BODY, sensitive=["health"], windows=Windows(86_400, ZONE), standing=lambda ids: set(ids) & {7})
    morning = dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC)  # 09:00 in Beijing
    seq = 0
    for run in range(3):  # the agreement's batch runs three times that day over three residents' health records
        for subject in (1, 2, 3):
            seq += 1
            _event(engine, seq, subject, "health", morning + dt.timedelta(hours=3 * run, seconds=subject), grant=7)
    seq += 1
    _event(engine, seq, 1, "health", morning + dt.timedelta(hours=8), grant=2)  # resident 1's own case: at once
    assert outbox.follow() == seq
    got = sorted((n.kind, n.subject_id[-1]) for n in _notices(engine))
    assert got == [("digest", "1"), ("digest", "2"), ("digest", "3"), ("instant", "1")]
    # the next day's batch is the next day's digest
    _event(engine, seq + 1, 2, "health", morning + dt.timedelta(days=1), grant=7)
    assert outbox.follow() == 1
    assert sorted(n.kind for n in _notices(engine) if n.subject_id.endswith("2")) == ["digest", "digest"]


def test_the_gateway_refuses_a_forged_or_stale_signature() -> None:
    body, secret = b'{"noticeId":"0x01"}', b"s" * 32
    header = signature(secret, body, 1_800_000_000)
    assert verify(secret, body, header, now=1_800_000_010)
    assert not verify(secret, body + b" ", header, now=1_800_000_010)  # another body
    assert not verify(b"t" * 32, body, header, now=1_800_000_010)  # another key
    assert not verify(secret, body, header, now=1_800_000_400)  # replayed six minutes later
    assert not verify(secret, body, "v1=00", now=1_800_000_010)
