"""Where the watchdog's events come from: this node's own trail, or (at the auditor body's node) the mirror
of every node's, kept by asking each node for the events after the last one it holds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import col

from ledger.store.models import AccessEvent, WatchedEvent
from ledger.watchdog.alerts import Seen

#: The most events a node answers in one ``/node/watchdog/events`` page.
PAGE = 5_000

_OWN: tuple[Any, ...] = (
    AccessEvent.body,
    AccessEvent.seq,
    AccessEvent.reader,
    AccessEvent.reader_body,
    AccessEvent.subject_id,
    AccessEvent.at,
    AccessEvent.grant_id,
    AccessEvent.emergency_id,
    AccessEvent.block,
)
_MIRROR: tuple[Any, ...] = (
    WatchedEvent.body,
    WatchedEvent.seq,
    WatchedEvent.reader,
    WatchedEvent.reader_body,
    WatchedEvent.subject_id,
    WatchedEvent.at,
    WatchedEvent.grant_id,
    WatchedEvent.emergency_id,
    WatchedEvent.block,
)


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _seen(rows: Any) -> list[Seen]:
    return [
        Seen(str(b), int(s), str(r).lower(), str(rb), str(sub), _aware(at), int(g), int(em), int(bl))
        for b, s, r, rb, sub, at, g, em, bl in rows
    ]


def own_events(engine: Engine, body: str, since: dt.datetime) -> list[Seen]:
    """This node's access events since ``since`` (``body``: its body id, 0x-hex)."""
    q = select(*_OWN).where(col(AccessEvent.body) == body, col(AccessEvent.at) >= since)
    with engine.connect() as conn:
        return _seen(conn.execute(q))


def mirrored_events(engine: Engine, since: dt.datetime) -> list[Seen]:
    q = select(*_MIRROR).where(col(WatchedEvent.at) >= since)
    with engine.connect() as conn:
        return _seen(conn.execute(q))


def page_after(engine: Engine, body: str, after: int, limit: int = PAGE) -> list[dict[str, Any]]:
    """What a node answers the auditor's: its events after ``after``, in order, as JSON."""
    q = (
        select(*_OWN)
        .where(col(AccessEvent.body) == body, col(AccessEvent.seq) > after)
        .order_by(col(AccessEvent.seq))
        .limit(limit)
    )
    with engine.connect() as conn:
        return [
            {
                "seq": e.seq,
                "reader": e.reader,
                "readerBody": e.reader_body,
                "subjectId": e.subject,
                "at": e.at.isoformat(),
                "grantId": e.grant_id,
                "emergencyId": e.emergency_id,
                "block": e.block,
            }
            for e in _seen(conn.execute(q))
        ]


def mirrored_through(engine: Engine) -> dict[str, int]:
    """The last event mirrored, by custodian body."""
    q = select(col(WatchedEvent.body), func.max(col(WatchedEvent.seq))).group_by(col(WatchedEvent.body))
    with engine.connect() as conn:
        return {str(b): int(s) for b, s in conn.execute(q)}


def mirror(engine: Engine, body: str, page: list[dict[str, Any]]) -> None:
    """Stores a node's page of events (validated by the caller's schema), after the last one held."""
    if not page:
        return
    rows = [
        {
            "body": body,
            "seq": e["seq"],
            "reader": e["reader"].lower(),
            "reader_body": e["readerBody"].lower(),
            "subject_id": e["subjectId"].lower(),
            "grant_id": e["grantId"],
            "emergency_id": e["emergencyId"],
            "block": e["block"],
            "at": dt.datetime.fromisoformat(e["at"]),
        }
        for e in page
    ]
    with engine.begin() as conn:
        conn.execute(insert(WatchedEvent), rows)
