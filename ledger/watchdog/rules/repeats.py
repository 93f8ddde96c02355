"""Repeats: the same officer reading the same resident again and again without a new request.

Reads are grouped by reader, subject and what they were read under (one grant, one emergency
declaration, or the reader's own body); a group is raised when more than ``repeats`` of its reads fall
within ``repeat_days`` of each other. A new request makes a new grant, and so a new group. The period
is the day of the last read raised.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.watchdog.alerts import Alert, ChainView, Seen, Thresholds, local_day

RULE = "repeats"


def check(events: Sequence[Seen], chain: ChainView, t: Thresholds, scope: str) -> Iterator[Alert]:
    groups: dict[tuple[str, str, str], list[Seen]] = defaultdict(list)
    for e in events:
        under = f"grant:{e.grant_id}" if e.grant_id else f"emergency:{e.emergency_id}" if e.emergency_id else "own"
        groups[(e.reader, e.subject, under)].append(e)
    window = dt.timedelta(days=t.repeat_days)
    for (reader, subject, under), seen in groups.items():
        if len(seen) <= t.repeats:
            continue
        seen.sort(key=lambda e: e.at)
        flagged: set[int] = set()
        first = 0
        for last in range(len(seen)):
            while seen[last].at - seen[first].at > window:
                first += 1
            if last - first + 1 > t.repeats:
                flagged.update(range(first, last + 1))
        if flagged:
            raised = [seen[i] for i in sorted(flagged)]
            yield Alert(
                RULE,
                scope,
                f"{reader}/{subject}/{under}",
                local_day(raised[-1].at, t.zone).isoformat(),
                [(e.body, e.seq) for e in raised],
                {"reads": len(raised), "subject": subject, "under": under, "days": t.repeat_days},
                reader=reader,
                reader_body=raised[0].reader_body,
            )
