"""Every query of the access trail uses an index: none scans the events or anchors table whole (issue 11).

The trail's own methods are run on SQLite and PostgreSQL while every statement they send is recorded;
each is then explained with its own parameters. SQLite must not ``SCAN`` a trail table (a full scan,
of the table or of a whole index); PostgreSQL, with sequential scans disabled so that it shows what its
indexes can do, must not use a ``Seq Scan`` or an index scan without an index condition on one. On
either, an index searched by the body alone reads the body's whole trail, so it is a scan too, unless
the query stops early (a ``LIMIT`` along the index, or ``max``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.engine import Engine

from ledger.store.models import TrailAnchor
from ledger.store.trail import NewEvent, Trail

TABLES = ("access_events", "trail_anchors", "trail_heads", "access_codes")
BY_BODY = ("access_events", "trail_anchors", "ix_access_events", "ix_trail_anchors")  # many rows per body
BODY, OTHER = b"rc".ljust(32, b"\0"), b"other".ljust(32, b"\0")


def _new(i: int, subject: int) -> NewEvent:
    return NewEvent(
        reader="0x" + "ab" * 20,
        reader_body="0x" + "cd" * 32,
        record_id="0x" + f"{i:064x}",
        version=1,
        subject_id="0x" + f"{subject:064x}",
        category="household",
        fields=["address"],
        purpose="subsistence_review",
        grant_id=1,
        emergency_id=0,
        block=10 + i,
        request={"nonce": i},
        signature="0x" + "11" * 65,
        request_digest="0x" + f"{i:064x}",
    )


@pytest.fixture
def trail(engine: Engine) -> Trail:
    t, other = Trail(engine, BODY), Trail(engine, OTHER)
    for start in range(0, 600, 100):  # several bodies and subjects; batches as the group commit makes them
        t.append_many([_new(i, i % 37) for i in range(start, start + 100)])
        other.append_many([_new(10_000 + i, i % 5) for i in range(start, start + 100)])
    with engine.begin() as conn:
        conn.execute(
            insert(TrailAnchor.__table__),
            [  # type: ignore[attr-defined]
                dict(
                    body=t.body,
                    first_seq=f,
                    last_seq=f + 9,
                    root="0x" + "00" * 32,
                    kind="batch",
                    state="anchored",
                    tx_hash=None,
                    block=1,
                    attempts=0,
                    last_error=None,
                    created_at=dt.datetime.now(dt.UTC),
                    anchored_at=dt.datetime.now(dt.UTC),
                )
                for f in range(1, 600, 10)
            ],
        )
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # the planner's statistics, as autovacuum keeps them on a live node
    return t


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if (
            not executemany
            and re.match(r"\s*(SELECT|UPDATE|DELETE)", statement, re.I)
            and any(t in statement for t in TABLES)
        ):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def run_every_trail_query(t: Trail) -> None:
    subject = "0x" + f"{5:064x}"
    t.append(_new(99_999, 5))  # the group commit: replay check, counter, the subject's last event
    assert t.is_replay("0x" + f"{99_999:064x}")
    assert len(t.events(after=100, limit=50)) == 50
    assert t.events(subject_id=subject, after=0, limit=10)
    latest = t.latest(subject_id=subject, limit=8)  # of the subject's 17 events, a page, then the next
    assert len(latest) == 8 and t.latest(subject_id=subject, before=latest[-1].seq, limit=8)
    assert t.count_of(subject) > 0
    assert len(t.between(200, 260)) == 61
    assert t.get(250) is not None and t.last_seq() == 601
    assert t.anchors_of(list(range(300, 340)))  # a range of the trail
    assert t.anchors_of([e.seq for e in latest])  # a resident's page, spread over the trail
    t.reads_per_day(dt.datetime.now(dt.UTC) - dt.timedelta(days=30))
    t.anchor_latency(last=100)
    code, _ = t.issue_code(subject_id=subject, issued_by="0x" + "ab" * 20)
    assert t.subject_of_code(code) == subject


def _stops_early(statement: str) -> bool:
    return bool(re.search(r"\bLIMIT\b|\bmax\(", statement, re.I))


def full_scans_sqlite(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [
        row[-1]
        for row in plan
        if re.match(rf"SCAN ({'|'.join(TABLES)})\b", row[-1])
        or (re.match(rf"SEARCH ({'|'.join(BY_BODY)}) .*\(body=\?\)$", row[-1]) and not _stops_early(statement))
    ]


def full_scans_postgresql(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        (plan,) = conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        if node.get("Relation Name") in TABLES:
            kind = node["Node Type"]
            if kind == "Seq Scan" or (kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node):
                found.append(f"{kind} on {node['Relation Name']}")
        cond = node.get("Index Cond", "")
        if (
            node.get("Relation Name", node.get("Index Name", "")).startswith(BY_BODY)
            and cond
            and " AND " not in cond
            and re.search(r"\bbody\b", cond)
            and not _stops_early(statement)
        ):
            found.append(f"{node['Node Type']} by the body alone: {cond}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def test_no_trail_query_scans_a_whole_table(engine: Engine, trail: Trail, statements: list[tuple[str, Any]]) -> None:
    run_every_trail_query(trail)
    assert len(statements) >= 15, "the trail's queries should all have been seen"
    explain = full_scans_sqlite if engine.dialect.name == "sqlite" else full_scans_postgresql
    scans = {s: found for s, p in statements if (found := explain(engine, s, p))}
    assert not scans, "\n\n".join(f"{s}\n-> {f}" for s, f in scans.items())
