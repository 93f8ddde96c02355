"""Emergencies: a body's emergency reads in an ISO week against its own history.

Raised when a reading body's emergency reads in a week are more than ``emergency_min`` and more than
``emergency_factor`` times the median of its previous ``emergency_weeks`` weeks (a week without any
counts 0; a body with no history is measured against ``emergency_min`` alone). Break-glass that
becomes routine is the pattern.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.watchdog.alerts import Alert, ChainView, Seen, Thresholds, median

RULE = "emergencies"


def _week(day: dt.date) -> tuple[int, int]:
    iso = day.isocalendar()
    return iso.year, iso.week


def check(events: Sequence[Seen], chain: ChainView, t: Thresholds, scope: str) -> Iterator[Alert]:
    zone = t.zone
    weeks: dict[str, dict[dt.date, list[Seen]]] = defaultdict(lambda: defaultdict(list))
    first_seen: dict[str, dt.date] = {}
    for e in events:
        day = e.at.astimezone(zone).date()
        first_seen[e.reader_body] = min(first_seen.get(e.reader_body, day), day)
        if e.emergency_id:
            monday = day - dt.timedelta(days=day.weekday())
            weeks[e.reader_body][monday].append(e)
    for body, by_week in weeks.items():
        for monday, seen in by_week.items():
            if len(seen) <= t.emergency_min:
                continue
            before = [monday - dt.timedelta(weeks=n) for n in range(1, t.emergency_weeks + 1)]
            history = [len(by_week.get(m, ())) for m in before if m + dt.timedelta(days=6) >= first_seen[body]]
            base = median(history)
            if len(seen) > t.emergency_factor * base:
                year, week = _week(monday)
                code = chain.name_of(body)
                yield Alert(
                    RULE,
                    scope,
                    code,
                    f"{year}-W{week:02d}",
                    [(e.body, e.seq) for e in seen],
                    {"reads": len(seen), "median": base, "weeks": len(history)},
                    reader_body=body,
                )
