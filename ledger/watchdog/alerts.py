"""What the watchdog's rules read and what they raise: events seen on a trail, alerts, thresholds.

An alert names its rule, who or what it is about (a reader, or a reading body), its period (a day or
an ISO week, in the consortium's time zone) and every event it stands on, as (custodian body, seq).
Its id is the Keccak-256 of the RFC 8785 JSON ``{"rule", "scope", "key", "period"}``, so the same alert
keeps its id as events join it; ``eventsHash`` is the Keccak-256 of the sorted ``[[body, seq], ...]``
list, which an auditor's review commits to on-chain (``AccessTrail.reviewAlert``): a review covers the
events it saw, and new ones reopen the alert.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from eth_utils import keccak

from ledger.chain.bodies import Assignment
from ledger.commitments.record import canonical_json

RULES = ("volume", "outside_grids", "off_hours", "repeats", "emergencies")


@dataclass(frozen=True, slots=True)
class Seen:
    """One access event as the rules see it (no fields, no purpose, no content)."""

    body: str  # custodian body id, 0x-hex
    seq: int
    reader: str  # lower-case
    reader_body: str  # 0x-hex
    subject: str  # subject id, 0x-hex
    at: dt.datetime  # aware, UTC
    grant_id: int
    emergency_id: int
    block: int


@dataclass
class Alert:
    rule: str
    scope: str  # "node:<body code>" or "consortium"
    key: str  # the reader's account, or the reading body's code
    period: str  # a day (2026-12-06) or an ISO week (2026-W49)
    events: list[tuple[str, int]]
    vars: dict[str, Any] = field(default_factory=dict)
    reader: str | None = None
    reader_body: str | None = None

    @property
    def id(self) -> str:
        return (
            "0x"
            + keccak(canonical_json({"rule": self.rule, "scope": self.scope, "key": self.key, "period": self.period})).hex()
        )

    @property
    def events_hash(self) -> str:
        return "0x" + keccak(canonical_json(sorted([b, s] for b, s in self.events))).hex()


class ChainView(Protocol):
    """What the rules ask the chain, at the block an event was checked (``ChainHistory`` answers)."""

    def current_assignment_at(self, account: str, block: int) -> Assignment | None: ...

    def grid_in_at(self, subject: bytes, committee: bytes, block: int) -> bytes: ...

    def name_of(self, body: str) -> str: ...


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))? ([0-2]\d):([0-5]\d)-([0-2]\d):([0-5]\d)$"
)


@dataclass(frozen=True)
class OfficeHours:
    """Spans such as ``mon-fri 08:00-18:00, sat 09:00-12:00`` (local time; ``24:00`` ends a day)."""

    spans: tuple[tuple[frozenset[int], int, int], ...]

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        spans = []
        for part in (p.strip().lower() for p in text.split(",")):
            m = _SPAN.match(part)
            if m is None:
                raise ValueError(f"office hours {part!r}: write them as 'mon-fri 08:00-18:00' (several joined by ',')")
            first, last = _DAYS.index(m[1]), _DAYS.index(m[2] or m[1])
            start, end = int(m[3]) * 60 + int(m[4]), int(m[5]) * 60 + int(m[6])
            if last < first or not 0 <= start < end <= 24 * 60:
                raise ValueError(f"office hours {part!r}: days run mon..sun and a span starts before it ends")
            spans.append((frozenset(range(first, last + 1)), start, end))
        return cls(tuple(spans))

    def within(self, local: dt.datetime) -> bool:
        minute = local.hour * 60 + local.minute
        return any(local.weekday() in days and start <= minute < end for days, start, end in self.spans)


@dataclass(frozen=True)
class Thresholds:
    """Each rule's threshold (``watchdog_*`` settings, :mod:`ledger.config`)."""

    volume_factor: float = 3.0
    volume_min: int = 50
    volume_days: int = 28
    office_hours: dict[str, OfficeHours] = field(default_factory=lambda: {"*": OfficeHours.parse("mon-fri 08:00-18:00")})
    off_hours_min: int = 1
    repeats: int = 5
    repeat_days: int = 7
    emergency_factor: float = 3.0
    emergency_min: int = 5
    emergency_weeks: int = 12
    timezone: str = "Asia/Shanghai"

    @classmethod
    def of(cls, settings: Any) -> Thresholds:
        return cls(
            volume_factor=settings.watchdog_volume_factor,
            volume_min=settings.watchdog_volume_min,
            office_hours={k: OfficeHours.parse(v) for k, v in settings.watchdog_office_hours.items()},
            off_hours_min=settings.watchdog_off_hours_min,
            repeats=settings.watchdog_repeats,
            repeat_days=settings.watchdog_repeat_days,
            emergency_factor=settings.watchdog_emergency_factor,
            emergency_min=settings.watchdog_emergency_min,
            timezone=settings.watchdog_timezone,
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_of(self, name_of: str) -> OfficeHours:
        return self.office_hours.get(name_of) or self.office_hours["*"]

    @property
    def history_days(self) -> int:
        """How far back the rules look, days: the longest of their windows."""
        return max(self.volume_days, self.repeat_days, self.emergency_weeks * 7 + 7)


def median(values: Sequence[int]) -> float:
    return float(statistics.median(values)) if values else 0.0


def local_day(at: dt.datetime, zone: ZoneInfo) -> dt.date:
    return at.astimezone(zone).date()


def ending_since(alerts: Iterable[Alert], since: dt.date) -> list[Alert]:
    """The alerts whose period ends on or after ``since``, in a stable order."""

    def ends(a: Alert) -> dt.date:
        if "W" in a.period:
            year, week = a.period.split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 7)
        return dt.date.fromisoformat(a.period[-10:])

    kept = [a for a in alerts if ends(a) >= since]
    return sorted(kept, key=lambda a: (a.period, a.rule, a.key), reverse=True)
