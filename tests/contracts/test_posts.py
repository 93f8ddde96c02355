"""Grids and posts: what a member reads follows the post they hold and the grids it covers, and ends with it.

Each power is tried first as someone else would use it: a grid worker placing a resident in their own
grid, another body's admin assigning a post, a colleague reading under a post grant they do not hold.
"""

from __future__ import annotations

import pytest

from ledger.chain.access import ZERO, Decision, Scope
from ledger.ids import Role, code_id
from tests.support import DAY, Consortium, admit_second_committee, advance_time, reverts

CASEWORKER, GRID_WORKER, HEAD = code_id("caseworker"), code_id("grid_worker"), code_id("committee_head")
G1, G2 = code_id("grid-1"), code_id("grid-2")


@pytest.fixture
def kp(k: Consortium) -> Consortium:
    """rc with grids 1 and 2, a grid worker of each (rc_officer, newcomer), the resident in grid 1."""
    admit_second_committee(k)
    for post in (CASEWORKER, GRID_WORKER, HEAD):
        k.c.bodies.define_post(k.actor("office_admin"), post)
    k.c.bodies.add_member(k.actor("rc_admin"), k.addr("newcomer"), Role.OFFICER)
    return k


def grids(k: Consortium) -> None:
    b = k.c.bodies
    b.define_grid(k.actor("rc_admin"), G1, "Grid 1 (north lanes)")
    b.define_grid(k.actor("rc_admin"), G2, "Grid 2 (market)")
    now = k.chain.timestamp()
    b.assign_post(k.actor("rc_admin"), k.addr("rc_officer"), GRID_WORKER, [G1], now - 60, now + 30 * DAY)
    b.assign_post(k.actor("rc_admin"), k.addr("newcomer"), GRID_WORKER, [G2], now - 60, now + 30 * DAY)
    k.c.residents.place_in_grid(k.actor("rc_admin"), k.subject, G1)


def own_read(k: Consortium, who: str) -> Decision:
    return k.c.access.check_access(k.addr(who), k.record_id, 1, k.review, 0)


def caseworker(k: Consortium, who: str, days: int = 30) -> int:
    now = k.chain.timestamp()
    return k.c.bodies.assign_post(k.actor("dept_admin"), k.addr(who), CASEWORKER, [], now - 60, now + days * DAY)


def granted(k: Consortium, who: str, **request: object) -> int:
    rid = k.c.access.request_access(k.actor(who), k.request(**request))
    return k.c.access.approve(k.actor("rc_admin"), rid, k.chain.timestamp() + 10 * DAY)


def test_a_grid_worker_reads_their_own_grid_and_is_refused_another(kp: Consortium) -> None:
    k = kp
    # a committee without grids: every member reads its residents, as before
    assert own_read(k, "rc_officer") is Decision.OWN_BODY and own_read(k, "newcomer") is Decision.OWN_BODY
    grids(k)
    assert k.c.bodies.grids_of(k.rc) == [(G1, "Grid 1 (north lanes)"), (G2, "Grid 2 (market)")]
    assert k.c.residents.grid_of(k.subject) == G1
    assert own_read(k, "rc_officer") is Decision.OWN_BODY  # grid 1's worker
    assert own_read(k, "newcomer") is Decision.OUTSIDE_GRID  # grid 2's worker
    assert own_read(k, "rc_admin") is Decision.OUTSIDE_GRID  # an admin holds no post: no reads of residents
    now = k.chain.timestamp()
    k.c.bodies.assign_post(k.actor("rc_admin"), k.addr("rc_admin"), HEAD, [], now - 60, now + DAY)
    assert own_read(k, "rc_admin") is Decision.OWN_BODY  # the committee's head covers the whole body
    # the resident moves to grid 2: the workers swap
    k.c.residents.place_in_grid(k.actor("rc_admin"), k.subject, G2)
    assert (own_read(k, "rc_officer"), own_read(k, "newcomer")) == (Decision.OUTSIDE_GRID, Decision.OWN_BODY)
    # in no grid: only the head
    k.c.residents.place_in_grid(k.actor("rc_admin"), k.subject, ZERO)
    assert (own_read(k, "newcomer"), own_read(k, "rc_admin")) == (Decision.OUTSIDE_GRID, Decision.OWN_BODY)


def test_a_placement_lapses_when_the_resident_moves_and_grid_codes_of_committees_never_mix(kp: Consortium) -> None:
    k = kp
    grids(k)
    k.c.bodies.define_grid(k.actor("rc2_admin"), G1, "rc2's own grid 1")
    assert k.c.residents.approve_transfer(k.actor("office_admin"), k.subject, k.rc2)
    assert k.c.residents.grid_of(k.subject) == ZERO  # rc's placement lapsed with the move
    k.c.residents.place_in_grid(k.actor("rc2_admin"), k.subject, G1)
    assert k.c.residents.grid_of(k.subject) == G1
    # rc's grid-1 worker does not read rc's old record of the resident through rc2's "grid-1"
    assert own_read(k, "rc_officer") is Decision.OUTSIDE_GRID


def test_only_a_bodys_admin_places_residents_and_assigns_posts(kp: Consortium) -> None:
    k = kp
    grids(k)
    b, r = k.c.bodies, k.c.residents
    now = k.chain.timestamp()
    # a grid worker placing a resident of grid 1 in their own grid 2 would read them: refused
    with reverts("ResidentRegistryUnauthorized", account=k.addr("newcomer"), neededRoles=int(Role.ADMIN)):
        r.place_in_grid(k.actor("newcomer"), k.subject, G2)
    with reverts("ResidentRegistryNotResidentsCommittee", account=k.addr("rc2_admin"), subject=k.subject):
        r.place_in_grid(k.actor("rc2_admin"), k.subject, G1)
    with reverts("ResidentRegistryUnknownGrid", committee=k.rc, grid=code_id("grid-9")):
        r.place_in_grid(k.actor("rc_admin"), k.subject, code_id("grid-9"))
    # another body's admin assigns no post to rc's officer; an officer assigns none to themself
    with reverts("PostsUnauthorized", account=k.addr("rc_officer")):
        b.assign_post(k.actor("dept_admin"), k.addr("rc_officer"), GRID_WORKER, [], now, now + DAY)
    with reverts("BodyRegistryUnauthorized"):
        b.assign_post(k.actor("newcomer"), k.addr("newcomer"), GRID_WORKER, [G1], now, now + DAY)
    with reverts("PostsUnknownPost", post=code_id("spy")):
        b.assign_post(k.actor("rc_admin"), k.addr("newcomer"), code_id("spy"), [], now, now + DAY)
    with reverts("PostsUnknownGrid", body=k.rc, grid=code_id("grid-9")):
        b.assign_post(k.actor("rc_admin"), k.addr("newcomer"), GRID_WORKER, [code_id("grid-9")], now, now + DAY)
    with reverts("PostsUnknownGrid", body=k.dept, grid=G1):  # a department has no grids
        b.assign_post(k.actor("dept_admin"), k.addr("dept_officer"), CASEWORKER, [G1], now, now + DAY)
    with reverts("PostsInvalidPeriod", **{"from": now, "until": now}):
        b.assign_post(k.actor("rc_admin"), k.addr("newcomer"), GRID_WORKER, [G1], now, now)
    with reverts("PostsUnauthorized", account=k.addr("rc2_admin")):  # ends only its own body's assignments
        b.end_assignment(k.actor("rc2_admin"), b.assignment_of(k.addr("rc_officer")))
    # grids are a committee's, post codes the consortium's
    with reverts("PostsNotCommittee", body=k.dept):
        b.define_grid(k.actor("dept_admin"), G1, "Dept grid")
    with reverts("PostsGridExists", body=k.rc, grid=G1):
        b.define_grid(k.actor("rc_admin"), G1, "again")
    with reverts("PostsInvalidName"):
        b.define_grid(k.actor("rc_admin"), code_id("grid-3"), "x" * 65)
    with reverts("BodyRegistryUnauthorized"):
        b.define_post(k.actor("rc_admin"), code_id("spy"))
    with reverts("PostsPostExists", post=CASEWORKER):
        b.define_post(k.actor("office_admin"), CASEWORKER)
    # nothing above changed anything
    assert r.grid_of(k.subject) == G1 and b.grids_of(k.dept) == [] and not b.is_post(code_id("spy"))
    assert b.assignment_count() == 2


def test_a_post_grant_is_read_by_whoever_holds_the_post(kp: Consortium) -> None:
    k = kp
    first = caseworker(k, "dept_officer")
    grant = granted(k, "dept_officer", post=CASEWORKER)
    g = k.c.access.get_grant(grant)
    assert (g.post, g.assignment, g.grantee) == (CASEWORKER, 0, "0x" + "0" * 40)
    check = lambda who: k.c.access.check_access(k.addr(who), k.record_id, 0b11, k.review, grant)  # noqa: E731
    assert check("dept_officer") is Decision.GRANTED
    assert check("dept_officer2") is Decision.WRONG_GRANT  # a colleague without the post
    # the post moves: the first holder leaves it, the successor reads, and finds the grant unasked
    k.c.bodies.end_assignment(k.actor("dept_admin"), first)
    caseworker(k, "dept_officer2")
    assert check("dept_officer") is Decision.WRONG_GRANT
    assert check("dept_officer2") is Decision.GRANTED
    assert k.c.access.find_grant(k.addr("dept_officer2"), k.record_id, 0b11, k.review) == (Decision.GRANTED, grant)
    # a post code that is not the consortium's, or a post for a standing agreement, is refused
    with reverts("AccessRegistryUnknownPost", post=code_id("spy")):
        k.c.access.request_access(k.actor("dept_officer"), k.request(post=code_id("spy")))
    with reverts("AccessRegistryUnknownPost", post=CASEWORKER):
        k.c.access.request_access(
            k.actor("dept_admin"),
            k.request(scope=Scope.AGREEMENT, record_id=ZERO, custodian=k.rc, category=k.household, post=CASEWORKER),
        )


def test_ending_an_assignment_stops_every_grant_bound_to_it_in_one_change(kp: Consortium) -> None:
    k = kp
    first = caseworker(k, "dept_officer")
    record = granted(k, "dept_officer")
    category = granted(
        k,
        "dept_officer",
        scope=Scope.SUBJECT_CATEGORY,
        record_id=ZERO,
        custodian=k.rc,
        subject=k.subject,
        category=k.household,
    )
    assert {k.c.access.get_grant(g).assignment for g in (record, category)} == {first}
    reads = lambda: [  # noqa: E731
        k.c.access.check_access(k.addr("dept_officer"), k.record_id, 0b11, k.review, g) for g in (record, category)
    ]
    assert reads() == [Decision.GRANTED, Decision.GRANTED]
    k.c.bodies.end_assignment(k.actor("dept_admin"), first)  # one transaction, however many grants
    assert reads() == [Decision.POST_ENDED, Decision.POST_ENDED]
    caseworker(k, "dept_officer")  # back in the same post: a new assignment, the old grants stay ended
    assert reads() == [Decision.POST_ENDED, Decision.POST_ENDED]
    with reverts("PostsAssignmentEnded", assignmentId=first):
        k.c.bodies.end_assignment(k.actor("dept_admin"), first)


def test_an_assignment_ends_by_its_date_by_a_move_and_by_leaving_the_body(kp: Consortium) -> None:
    k = kp
    caseworker(k, "dept_officer", days=2)
    by_date = granted(k, "dept_officer")
    advance_time(k.chain, 3 * DAY)
    assert k.c.access.check_access(k.addr("dept_officer"), k.record_id, 0b11, k.review, by_date) is Decision.POST_ENDED
    caseworker(k, "dept_officer")
    by_move = granted(k, "dept_officer")
    now = k.chain.timestamp()
    k.c.bodies.assign_post(k.actor("dept_admin"), k.addr("dept_officer"), GRID_WORKER, [], now - 60, now + DAY)
    assert k.c.access.check_access(k.addr("dept_officer"), k.record_id, 0b11, k.review, by_move) is Decision.POST_ENDED
    leaving = k.c.bodies.assignment_of(k.addr("dept_officer"))
    k.c.bodies.remove_member(k.actor("dept_admin"), k.addr("dept_officer"))
    assert k.c.bodies.get_assignment(leaving).ended_at > 0 and k.c.bodies.assignment_of(k.addr("dept_officer")) == 0
