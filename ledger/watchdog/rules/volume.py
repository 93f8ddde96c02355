"""Volume: an officer's reads in a day against the other holders of the same post that day.

Raised when the reader read more than ``volume_min`` times in the day and more than ``volume_factor``
times the median of their peers' reads that day. Peers hold the same post (from the assignment in
force at each read; readers with no post are compared with the other readers of their body who hold
none) and read at least once in the ``volume_days`` before; a peer who read nothing that day counts 0.
A post with no peers is measured against ``volume_min`` alone. The case it is for: one officer's
thousands of "authorised" queries a month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.watchdog.alerts import Alert, ChainView, Seen, Thresholds, local_day, median

RULE = "volume"


def check(events: Sequence[Seen], chain: ChainView, t: Thresholds, scope: str) -> Iterator[Alert]:
    zone = t.zone
    reads: dict[tuple[str, dt.date], list[Seen]] = defaultdict(list)
    group_of: dict[tuple[str, dt.date], str] = {}
    for e in events:
        key = (e.reader, local_day(e.at, zone))
        if key not in group_of:
            a = chain.current_assignment_at(e.reader, e.block)
            group_of[key] = "post:" + chain.name_of("0x" + a.post.hex()) if a else "none:" + e.reader_body
        reads[key].append(e)
    days_of: dict[str, dict[str, list[dt.date]]] = defaultdict(lambda: defaultdict(list))
    for (reader, day), group in group_of.items():
        days_of[group][reader].append(day)
    window = dt.timedelta(days=t.volume_days)
    for (reader, day), seen in reads.items():
        if len(seen) <= t.volume_min:
            continue
        group = group_of[(reader, day)]
        peers = [
            len(reads.get((p, day), ()))
            for p, days in days_of[group].items()
            if p != reader and any(day - window <= d <= day for d in days)
        ]
        base = median(peers)
        if len(seen) > t.volume_factor * base:
            yield Alert(
                RULE,
                scope,
                reader,
                day.isoformat(),
                [(e.body, e.seq) for e in seen],
                {
                    "reads": len(seen),
                    "median": base,
                    "peers": len(peers),
                    "post": group.split(":", 1)[1] if group.startswith("post:") else None,
                },
                reader=reader,
                reader_body=seen[0].reader_body,
            )
