"""``ledger bench watchdog``: the watchdog's five rules over a million access events.

A fresh PostgreSQL schema (or SQLite file) is filled with ``events`` synthetic events of one body over
28 days of office hours: ``readers`` officers in ten posts (a fifth of them grid workers, each reading
their own grid's residents), each read under its own grant, and one emergency read a week. Five patterns
are planted in it, one per rule: a caseworker's day at five times their post's, a grid worker reading
another grid, a night's reads, one resident read ten times under one grant, a week of twenty emergency
reads. The figures: the time to load the events as the node loads them (``own_events``) and the time of
the rules over them, and the alerts found (the five planted, and nothing else, or the bench fails).

The chain's side (who holds which post, which grid a resident is in) is an in-memory table here, as
:class:`ledger.audit.history.ChainHistory` is once it has read the chain's logs; that read is the
audit's, measured by ``ledger bench audit``.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ledger.chain.bodies import Assignment
from ledger.errors import IntegrityFailure
from ledger.ids import code_id, code_name
from ledger.store.db import open_engine, sqlite_url
from ledger.store.models import AccessEvent
from ledger.watchdog.alerts import Seen, Thresholds
from ledger.watchdog.runner import watch
from ledger.watchdog.source import own_events

BODY = "0x" + code_id("rc-east").hex()
READER_BODY = "0x" + code_id("civil-affairs").hex()
ZONE = ZoneInfo("Asia/Shanghai")
DAYS, POSTS, GRIDS = 28, 10, 8


def _account(n: int) -> str:
    return f"0x{n + 1:040x}"


class Table:
    """Posts and grids, as ``ChainHistory`` answers them."""

    def __init__(self, readers: int) -> None:
        self.posts = {}
        for n in range(readers):
            grid_worker = n % 5 == 0
            grids = (code_id(f"grid-{n % GRIDS}"),) if grid_worker else ()
            post = code_id("grid_worker" if grid_worker else f"post-{n % POSTS}")
            self.posts[_account(n)] = Assignment(n + 1, _account(n), bytes.fromhex(BODY[2:]), post, 0, 2**40, 0, grids)

    def current_assignment_at(self, account: str, block: int) -> Assignment | None:
        return self.posts.get(account)

    def grid_in_at(self, subject: bytes, committee: bytes, block: int) -> bytes:
        return code_id(f"grid-{int.from_bytes(subject[-4:], 'big') % GRIDS}")

    def name_of(self, code: str) -> str:
        return code_name(bytes.fromhex(code[2:]))


Row = tuple[str, str, dt.datetime, int, int]


def _rows(events: int, readers: int, subjects: int, start: dt.date) -> tuple[list[Row], set[tuple[str, str]]]:
    """(reader, subject, at, grant, emergency) of ordinary work, then the five planted patterns (and their
    alerts' rule and key)."""
    rng = random.Random(7)
    workdays = [start + dt.timedelta(days=d) for d in range(DAYS) if (start + dt.timedelta(days=d)).weekday() < 5]
    out = []
    for i in range(events - 250 - 2 - 8 - 10 - 23):  # the planted reads below
        n = rng.randrange(1, readers)
        day = workdays[rng.randrange(len(workdays))]
        at = dt.datetime.combine(day, dt.time(9 + rng.randrange(8), rng.randrange(60), rng.randrange(60)), ZONE)
        s = rng.randrange(subjects)
        if n % 5 == 0:  # a grid worker reads their own grid's residents
            s = s - s % GRIDS + n % GRIDS
        out.append((_account(n), f"0x{s:064x}", at, i + 1, 0))
    day = workdays[10]
    noon = dt.datetime.combine(day, dt.time(12), ZONE)
    base = len(out) + 1
    for k in range(250):  # a caseworker's day: ~5x their post's (reader 1, post-1: ~about 50/day each)
        out.append((_account(1), f"0x{subjects + k:064x}", noon, base + k, 0))
    out += [(_account(5), f"0x{s * GRIDS + 3:064x}", noon, base + 300 + s, 0) for s in range(2)]  # grid 5's worker, grid 3
    out += [(_account(2), f"0x{subjects + 500 + k:064x}", noon.replace(hour=23), base + 400 + k, 0) for k in range(8)]
    out += [(_account(3), f"0x{subjects + 600:064x}", noon + dt.timedelta(minutes=k), base + 500, 0) for k in range(10)]
    for w, count in enumerate([1, 1, 20, 1]):  # public security's weeks: one emergency read, then twenty
        for k in range(count):
            when = dt.datetime.combine(workdays[5 * w + k % 5], dt.time(11), ZONE)
            out.append((_account(7), f"0x{subjects + 700 + w * 50 + k:064x}", when, 0, 1000 + w * 50 + k))
    planted = {
        ("volume", _account(1)),
        ("outside_grids", _account(5)),
        ("off_hours", _account(2)),
        ("repeats", f"{_account(3)}/0x{subjects + 600:064x}/grant:{base + 500}"),
        ("emergencies", "civil-affairs"),
    }
    return out, planted


def fill(engine: Any, rows: list[Row], progress: Callable[[str], None]) -> None:
    t = AccessEvent.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(
                insert(t),
                [
                    dict(
                        body=BODY,
                        seq=seq + 1,
                        reader=reader,
                        reader_body=READER_BODY,
                        record_id=subject,
                        version=1,
                        subject_id=subject,
                        category="household",
                        fields='["address"]',
                        purpose="subsistence_review",
                        grant_id=grant,
                        emergency_id=emergency,
                        subject_prev=0,
                        block=seq + 1,
                        at=at.astimezone(dt.UTC),
                        request="{}",
                        signature="0x" + "11" * 65,
                        request_digest="0x" + f"{seq + 1:064x}",
                        event_hash="0x" + f"{seq + 1:064x}",
                    )
                    for seq, (reader, subject, at, grant, emergency) in enumerate(rows[start : start + 10_000], start)
                ],
            )
            progress(f"{min(start + 10_000, len(rows)):,} of {len(rows):,} events written")
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")


def run_watchdog_bench(
    *, database: str, events: int, readers: int, repeats: int, progress: Callable[[str], None] = lambda _: None
) -> dict[str, Any]:
    with ExitStack() as stack:
        if database == "postgresql":
            from bench.reads import _pg_schema

            url = stack.enter_context(_pg_schema())
        else:
            url = sqlite_url(Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-bench-"))) / "w.db")
        engine = open_engine(url)
        stack.callback(engine.dispose)
        today = dt.datetime.now(ZONE).date()
        start = today - dt.timedelta(days=DAYS)
        rows, planted = _rows(events, readers, max(1000, events // 10), start)
        t0 = time.perf_counter()
        fill(engine, rows, progress)
        filled = time.perf_counter() - t0
        thresholds = Thresholds(emergency_weeks=4)
        loads, rules, found = [], [], []
        for n in range(repeats):
            progress(f"run {n + 1} of {repeats}: loading {len(rows):,} events, then the rules")
            t0 = time.perf_counter()
            seen: list[Seen] = own_events(engine, BODY, dt.datetime.combine(start, dt.time(), ZONE))
            t1 = time.perf_counter()
            found = watch(seen, Table(readers), thresholds, "node:rc-east", start)  # type: ignore[arg-type]
            t2 = time.perf_counter()
            loads.append(t1 - t0)
            rules.append(t2 - t1)
        by_rule = sorted((a.rule, a.key) for a in found)
        if by_rule != sorted(planted):
            raise IntegrityFailure(f"the watchdog found {by_rule}, not the five planted patterns {sorted(planted)}")
        load, rule = sorted(loads)[len(loads) // 2], sorted(rules)[len(rules) // 2]
        return {
            "database": database,
            "events": len(rows),
            "readers": readers,
            "fillSeconds": round(filled, 1),
            "repeats": repeats,
            "loadSeconds": round(load, 2),
            "rulesSeconds": round(rule, 2),
            "totalSeconds": round(load + rule, 2),
            "eventsPerSecond": round(len(rows) / (load + rule)),
            "alerts": [{"rule": r, "key": k} for r, k in by_rule],
        }
