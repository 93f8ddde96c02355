"""Off hours: reads outside the reader's body's office hours (``watchdog_office_hours``, by body code or
``*``, in ``watchdog_timezone``), raised when a reader makes at least ``off_hours_min`` in a day."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.watchdog.alerts import Alert, ChainView, Seen, Thresholds

RULE = "off_hours"


def check(events: Sequence[Seen], chain: ChainView, t: Thresholds, scope: str) -> Iterator[Alert]:
    zone = t.zone
    hours = {}
    late: dict[tuple[str, dt.date], list[Seen]] = defaultdict(list)
    for e in events:
        if e.reader_body not in hours:
            hours[e.reader_body] = t.hours_of(chain.name_of(e.reader_body))
        local = e.at.astimezone(zone)
        if not hours[e.reader_body].within(local):
            late[(e.reader, local.date())].append(e)
    for (reader, day), seen in late.items():
        if len(seen) >= t.off_hours_min:
            yield Alert(
                RULE,
                scope,
                reader,
                day.isoformat(),
                [(e.body, e.seq) for e in seen],
                {"reads": len(seen), "times": sorted({e.at.astimezone(zone).strftime("%H:%M") for e in seen})[:10]},
                reader=reader,
                reader_body=seen[0].reader_body,
            )
