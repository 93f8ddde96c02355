"""Outside grids: reads, under any grant or emergency, of residents outside the grids the reader's post covers.

A committee member's own-body reads are already refused outside their grids (``AccessRegistry``); what
reaches the trail outside them came through a grant or an emergency declaration, which the contract
allows and an auditor may still want to see: a grid worker reading residents of other grids or other
committees. Readers whose post covers a whole body (or who hold none) have no grids to be outside of.
One alert per reader per day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ledger.watchdog.alerts import Alert, ChainView, Seen, Thresholds, local_day

RULE = "outside_grids"


def check(events: Sequence[Seen], chain: ChainView, t: Thresholds, scope: str) -> Iterator[Alert]:
    zone = t.zone
    outside: dict[tuple[str, dt.date], list[Seen]] = defaultdict(list)
    grids_of: dict[str, set[str]] = defaultdict(set)
    for e in events:
        a = chain.current_assignment_at(e.reader, e.block)
        if a is None or not a.grids:
            continue
        grid = chain.grid_in_at(bytes.fromhex(e.subject[2:]), a.body, e.block)
        if grid not in a.grids:
            key = (e.reader, local_day(e.at, zone))
            outside[key].append(e)
            grids_of[e.reader].update(chain.name_of("0x" + g.hex()) for g in a.grids)
    for (reader, day), seen in outside.items():
        yield Alert(
            RULE,
            scope,
            reader,
            day.isoformat(),
            [(e.body, e.seq) for e in seen],
            {"reads": len(seen), "grids": sorted(grids_of[reader])},
            reader=reader,
            reader_body=seen[0].reader_body,
        )
