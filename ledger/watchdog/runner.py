"""Every rule over one set of events, with the chain read from its logs (:class:`HistoryView`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ledger.audit.history import ChainHistory
from ledger.chain.bodies import Assignment
from ledger.ids import code_name
from ledger.watchdog.alerts import RULES, Alert, Seen, Thresholds, ending_since
from ledger.watchdog.rules import emergencies, off_hours, outside_grids, repeats, volume

CHECKS = {
    "volume": volume.check,
    "outside_grids": outside_grids.check,
    "off_hours": off_hours.check,
    "repeats": repeats.check,
    "emergencies": emergencies.check,
}
assert tuple(CHECKS) == RULES


class HistoryView:
    """The rules' view of the chain, from the chain's logs (one pass, then in memory)."""

    def __init__(self, history: ChainHistory) -> None:
        self.history = history
        self._assignments: dict[tuple[str, int], Assignment | None] = {}

    def current_assignment_at(self, account: str, block: int) -> Assignment | None:
        key = (account, block)
        if key not in self._assignments:
            self._assignments[key] = self.history.current_assignment_at(account, block)
        return self._assignments[key]

    def grid_in_at(self, subject: bytes, committee: bytes, block: int) -> bytes:
        return self.history.grid_in_at(subject, committee, block)

    def name_of(self, code: str) -> str:
        return code_name(bytes.fromhex(code[2:]))


def watch(
    events: Sequence[Seen], chain: HistoryView, t: Thresholds, scope: str, since: dt.date, rules: Sequence[str] = RULES
) -> list[Alert]:
    """Every rule's alerts over ``events`` whose period ends on or after ``since``."""
    found: list[Alert] = []
    for rule in rules:
        found += CHECKS[rule](events, chain, t, scope)
    return ending_since(found, since)
