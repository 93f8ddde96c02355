"""Each watchdog rule raises on a crafted trail that shows its pattern, and stays quiet on an ordinary one.

The trails are crafted as events (who read whom, when, under what); the chain's side (posts, grids) is a
small table standing in for ``ChainHistory``, which the API tests use for real.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest

from ledger.chain.bodies import Assignment
from ledger.ids import code_id, code_name
from ledger.watchdog.alerts import RULES, Alert, OfficeHours, Seen, Thresholds
from ledger.watchdog.runner import watch

ZONE = ZoneInfo("Asia/Shanghai")
EAST, CIVIL = "0x" + code_id("rc-east").hex(), "0x" + code_id("civil-affairs").hex()
GRID_1, GRID_2 = code_id("grid-1"), code_id("grid-2")
CASEWORKER, GRID_WORKER = code_id("subsistence_caseworker"), code_id("grid_worker")
MONDAY = dt.date(2026, 11, 30)


def acct(n: int) -> str:
    return f"0x{n:040x}"


def subject(n: int) -> str:
    return f"0x{n:064x}"


@dataclass
class Chain:
    """Posts by reader, grids by subject (at every block)."""

    posts: dict[str, Assignment] = field(default_factory=dict)
    grids: dict[str, bytes] = field(default_factory=dict)

    def current_assignment_at(self, account: str, block: int) -> Assignment | None:
        return self.posts.get(account)

    def grid_in_at(self, subject: bytes, committee: bytes, block: int) -> bytes:
        return self.grids.get("0x" + subject.hex(), b"\0" * 32)

    def name_of(self, code: str) -> str:
        return code_name(bytes.fromhex(code[2:]))

    def hold(self, reader: str, body: str, post: bytes, *grids: bytes) -> None:
        self.posts[reader] = Assignment(len(self.posts) + 1, reader, bytes.fromhex(body[2:]), post, 0, 2**40, 0, grids)


class Trail:
    def __init__(self) -> None:
        self.events: list[Seen] = []

    def read(
        self,
        reader: str,
        whom: str,
        day: dt.date,
        hour: int = 10,
        *,
        body: str = CIVIL,
        grant: int = 1,
        emergency: int = 0,
        custodian: str = EAST,
    ) -> None:
        at = dt.datetime.combine(day, dt.time(hour, len(self.events) % 60), ZONE).astimezone(dt.UTC)
        seq = len(self.events) + 1
        self.events.append(Seen(custodian, seq, reader, body, whom, at, 0 if emergency else grant, emergency, 100 + seq))


def run(trail: Trail, chain: Chain, t: Thresholds | None = None, rules: tuple[str, ...] = RULES) -> list[Alert]:
    return watch(trail.events, chain, t or Thresholds(), "consortium", MONDAY - dt.timedelta(days=60), rules)  # type: ignore[arg-type]


@pytest.fixture
def ordinary() -> Iterator[tuple[Trail, Chain]]:
    """A fortnight of ordinary work: two caseworkers reading 20-30 residents a weekday in office hours, each
    once; a grid worker reading their own grid's residents; one emergency read a week at public security."""
    trail, chain = Trail(), Chain()
    chain.hold(acct(1), CIVIL, CASEWORKER)
    chain.hold(acct(2), CIVIL, CASEWORKER)
    chain.hold(acct(3), EAST, GRID_WORKER, GRID_1)
    for n in range(100, 200):
        chain.grids[subject(n)] = GRID_1
    who = 0
    for d in range(14):
        day = MONDAY + dt.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for reader, reads in ((acct(1), 20 + d), (acct(2), 30 - d)):
            for _ in range(reads):
                who += 1
                trail.read(reader, subject(1_000 + who), day, 9 + who % 8, grant=who)
        for n in range(5):
            trail.read(acct(3), subject(100 + (d * 5 + n) % 100), day, 14, body=EAST, grant=0)
        if day.weekday() == 2:
            trail.read(acct(9), subject(5_000 + d), day, 11, body=EAST, emergency=d + 1)
    yield trail, chain


def test_the_ordinary_fortnight_raises_nothing(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    assert run(trail, chain) == []


def test_volume_far_above_the_posts_median_is_raised_and_not_below_the_minimum(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    day = MONDAY + dt.timedelta(days=3)
    for n in range(120):  # caseworker 2 reads 120 more residents on Thursday: ~4.4x caseworker 1's 23
        trail.read(acct(2), subject(20_000 + n), day, 10, grant=9_000 + n)
    (alert,) = run(trail, chain)
    assert (alert.rule, alert.key, alert.period) == ("volume", acct(2), day.isoformat())
    assert alert.vars["reads"] == 120 + 27 and alert.vars["median"] == 23 and alert.vars["post"] == "subsistence_caseworker"
    assert len(alert.events) == 147  # every read of the day, by its custodian and sequence number
    # the same excess under a higher factor, or a post's median as high, is not raised
    assert run(trail, chain, Thresholds(volume_factor=7)) == []
    assert run(trail, chain, Thresholds(volume_min=200)) == []


def test_reads_outside_the_readers_grids_are_raised_per_day(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    chain.grids[subject(7_001)] = GRID_2
    day = MONDAY + dt.timedelta(days=1)
    trail.read(acct(3), subject(7_001), day, 15, body=EAST, grant=77)  # grid 2, under a grant
    trail.read(acct(3), subject(7_002), day, 15, body=EAST, emergency=78)  # another committee's resident
    (alert,) = run(trail, chain)
    assert (alert.rule, alert.key, alert.period) == ("outside_grids", acct(3), day.isoformat())
    assert alert.vars == {"reads": 2, "grids": ["grid-1"]}
    assert alert.events == [(EAST, len(trail.events) - 1), (EAST, len(trail.events))]


def test_reads_out_of_office_hours_are_raised_by_each_bodys_hours(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    saturday = MONDAY + dt.timedelta(days=5)
    trail.read(acct(1), subject(8_001), MONDAY, 23, grant=81)  # a Monday night
    trail.read(acct(1), subject(8_002), saturday, 10, grant=82)  # a Saturday morning
    alerts = run(trail, chain)
    assert [(a.rule, a.period, a.vars["reads"]) for a in alerts] == [
        ("off_hours", saturday.isoformat(), 1),
        ("off_hours", MONDAY.isoformat(), 1),
    ]
    assert [t[:3] for t in alerts[1].vars["times"]] == ["23:"]
    # a body whose office keeps weekend hours, and a threshold of two reads a day, raise nothing
    weekends = Thresholds(office_hours={"*": OfficeHours.parse("mon-fri 08:00-24:00, sat-sun 09:00-12:00")})
    assert run(trail, chain, weekends) == []
    assert run(trail, chain, Thresholds(off_hours_min=2)) == []


def test_the_same_resident_read_again_and_again_under_one_grant_is_raised(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    for d in range(6):  # six reads in six days under grant 4242: one more than the default five
        trail.read(acct(1), subject(9_001), MONDAY + dt.timedelta(days=d % 5), 10, grant=4242)
    (alert,) = run(trail, chain)
    assert alert.rule == "repeats" and alert.reader == acct(1)
    assert alert.vars == {"reads": 6, "subject": subject(9_001), "under": "grant:4242", "days": 7}
    # spread over weeks, or each time under a new request (a new grant), it is not
    spread, fresh = Trail(), Trail()
    for d in range(6):
        spread.read(acct(1), subject(9_001), MONDAY + dt.timedelta(days=8 * d), 10, grant=4242)
        fresh.read(acct(1), subject(9_001), MONDAY, 10, grant=5_000 + d)
    assert run(spread, chain, rules=("repeats",)) == [] and run(fresh, chain, rules=("repeats",)) == []


def test_a_bodys_emergency_reads_far_above_its_own_weeks_are_raised(ordinary: tuple[Trail, Chain]) -> None:
    trail, chain = ordinary
    third = MONDAY + dt.timedelta(weeks=2)
    for n in range(8):  # eight break-glass reads in one week, against one a week before
        trail.read(acct(9), subject(6_000 + n), third + dt.timedelta(days=n % 5), 11, body=EAST, emergency=100 + n)
    (alert,) = run(trail, chain)
    year, week, _ = third.isocalendar()
    assert (alert.rule, alert.key, alert.period) == ("emergencies", "rc-east", f"{year}-W{week:02d}")
    assert alert.vars == {"reads": 8, "median": 1.0, "weeks": 2}
    assert run(trail, chain, Thresholds(emergency_min=8)) == []


def test_an_alert_keeps_its_id_as_events_join_it_and_its_events_hash_changes() -> None:
    a = Alert("repeats", "consortium", "k", "2026-12-01", [(EAST, 1), (EAST, 2)])
    b = Alert("repeats", "consortium", "k", "2026-12-01", [(EAST, 2), (EAST, 1), (EAST, 3)])
    assert a.id == b.id and a.events_hash != b.events_hash
    assert a.events_hash == Alert("repeats", "node:x", "k", "2026-12-01", [(EAST, 2), (EAST, 1)]).events_hash
    assert a.id != Alert("repeats", "node:rc-east", "k", "2026-12-01", []).id  # one node's alert is not the consortium's


@pytest.mark.parametrize("text", ["8-18", "mon-fri 18:00-08:00", "fri-mon 08:00-18:00", "mon-fri 08:00-25:00", ""])
def test_office_hours_that_do_not_parse_are_refused_with_the_form_to_use(text: str) -> None:
    with pytest.raises(ValueError, match="office hours"):
        OfficeHours.parse(text)
