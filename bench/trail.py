"""``ledger bench trail``: a resident's trail query with a million events in the database.

A fresh PostgreSQL schema (or SQLite file) is filled with ``events`` synthetic access events of one
body, spread over ``subjects`` residents, anchored in batches of 1,000; then a resident's first page
is asked as the node asks it for ``GET /trail/mine`` (the newest 50 events, their count, and the
anchors holding them), for residents drawn at random. The figures are p50 and p99 of that query.
The rows are written straight into the tables (the query is measured, not the read path).

Sealed reads: 1% of the events are written under one of 100 seals (each in its subject's chain of that
seal), and each resident's page is asked twice in turn: as before seals existed (no filter), and as the
node asks it now, leaving out the reads of the 50 seals in force. The ratio of the medians is the cost of
sealing in the resident's trail query.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from ledger.store.db import open_engine, sqlite_url
from ledger.store.models import AccessEvent, TrailAnchor, TrailHead
from ledger.store.trail import Trail

BODY = b"rc-east".ljust(32, b"\0")


#: Seals the sealed events are spread over, the share of events sealed, and the seals in force when asked.
SEALS, SEALED_SHARE = 100, 0.01
IN_FORCE = frozenset(range(1, SEALS // 2 + 1))


def fill(trail: Trail, *, events: int, subjects: int, progress: Callable[[str], None]) -> None:
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    t, a = AccessEvent.__table__, TrailAnchor.__table__  # type: ignore[attr-defined]
    last_of: dict[tuple[int, int], int] = {}
    with trail.engine.begin() as conn:
        for start in range(1, events + 1, 10_000):
            rows = []
            for seq in range(start, min(start + 10_000, events + 1)):
                subject = rng.randrange(subjects)
                seal = rng.randrange(1, SEALS + 1) if rng.random() < SEALED_SHARE else 0
                rows.append(
                    dict(
                        body=trail.body,
                        seq=seq,
                        reader="0x" + "ab" * 20,
                        reader_body="0x" + "cd" * 32,
                        record_id="0x" + f"{subject:064x}",
                        version=1,
                        subject_id="0x" + f"{subject:064x}",
                        category="household",
                        fields='["address"]',
                        purpose="subsistence_review",
                        grant_id=1,
                        emergency_id=0,
                        subject_prev=last_of.get((subject, seal), 0),
                        seal_id=seal,
                        block=seq,
                        at=now,
                        request="{}",
                        signature="0x" + "11" * 65,
                        request_digest="0x" + f"{seq:064x}",
                        event_hash="0x" + f"{seq:064x}",
                    )
                )
                last_of[(subject, seal)] = seq
            conn.execute(insert(t), rows)
            conn.execute(
                insert(a),
                [
                    dict(
                        body=trail.body,
                        first_seq=f,
                        last_seq=min(f + 999, events),
                        root="0x" + "00" * 32,
                        kind="batch",
                        state="anchored",
                        tx_hash=None,
                        block=1,
                        attempts=0,
                        last_error=None,
                        created_at=now,
                        anchored_at=now,
                    )
                    for f in range(start, min(start + 10_000, events + 1), 1000)
                ],
            )
            progress(f"{min(start + 9_999, events):,} of {events:,} events written")
        conn.execute(insert(TrailHead.__table__).values(body=trail.body, last_seq=events))  # type: ignore[attr-defined]
        if trail.engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def resident_page(trail: Trail, subject: str, hidden: frozenset[int] = frozenset()) -> int:
    """What the node reads for a resident's first page of their trail (``hidden``: the seals in force)."""
    events = trail.latest(subject_id=subject, limit=50, hidden=hidden)
    trail.count_of(subject, hidden=hidden)
    trail.anchors_of([e.seq for e in events])
    return len(events)


def run_trail_bench(
    *, database: str, events: int, subjects: int, queries: int, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    with ExitStack() as stack:
        if database == "postgresql":
            from bench.reads import _pg_schema

            url = stack.enter_context(_pg_schema())
        else:
            url = sqlite_url(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-bench-"))) / "t.db")
        engine = open_engine(url)
        stack.callback(engine.dispose)
        trail = Trail(engine, BODY)
        t0 = time.perf_counter()
        fill(trail, events=events, subjects=subjects, progress=progress)
        filled = time.perf_counter() - t0
        rng = random.Random(int.from_bytes(os.urandom(4), "big"))
        progress(f"{queries} residents' trails")
        times: list[float] = []
        sealed_times: list[float] = []
        found = 0
        for i in range(queries):
            subject = "0x" + f"{rng.randrange(subjects):064x}"
            for hidden in (frozenset(), IN_FORCE) if i % 2 else (IN_FORCE, frozenset()):  # in turn: no order bias
                q0 = time.perf_counter()
                n = resident_page(trail, subject, hidden)
                (sealed_times if hidden else times).append(time.perf_counter() - q0)
                found += n if not hidden else 0
        times.sort()
        sealed_times.sort()
        return {
            "database": database,
            "events": events,
            "subjects": subjects,
            "queries": queries,
            "eventsPerResident": round(found / queries, 1),
            "fillSeconds": round(filled, 1),
            "p50ms": round(statistics.median(times) * 1000, 2),
            "p99ms": round(times[min(len(times) - 1, int(0.99 * len(times)))] * 1000, 2),
            "sealedP50ms": round(statistics.median(sealed_times) * 1000, 2),
            "sealedP99ms": round(sealed_times[min(len(sealed_times) - 1, int(0.99 * len(sealed_times)))] * 1000, 2),
            "sealedRatio": round(statistics.median(sealed_times) / statistics.median(times), 3),
        }
