"""AccessTrail behaviour: per-body contiguous sequences, immediate and batched anchors."""

from __future__ import annotations

from ledger.ids import Role
from tests.support import Consortium, random_bytes32, reverts

ZERO = b"\0" * 32


def test_immediate_then_batches_are_contiguous(k: Consortium) -> None:
    t = k.c.trail
    node = k.actor("rc_node")
    assert t.last_sequence(k.rc) == 0
    h = random_bytes32()
    receipt = t.anchor_event(node, 1, h)
    assert t.handle.one_event(receipt, "AccessEventAnchored") == {"body": k.rc, "seq": 1, "eventHash": h}
    root = random_bytes32()
    receipt = t.anchor_batch(node, 2, 101, root)
    assert t.handle.one_event(receipt, "AccessBatchAnchored") == {"body": k.rc, "firstSeq": 2, "lastSeq": 101, "root": root}
    assert t.last_sequence(k.rc) == 101
    assert t.last_sequence(k.dept) == 0  # sequences are per body


def test_gaps_overlaps_and_bad_ranges_are_refused(k: Consortium) -> None:
    t = k.c.trail
    node = k.actor("rc_node")
    with reverts("AccessTrailSequenceGap", body=k.rc, expected=1, given=2):
        t.anchor_event(node, 2, random_bytes32())
    t.anchor_batch(node, 1, 10, random_bytes32())
    with reverts("AccessTrailSequenceGap", body=k.rc, expected=11, given=10):
        t.anchor_batch(node, 10, 20, random_bytes32())  # overlap: a replayed or duplicated batch
    with reverts("AccessTrailSequenceGap", body=k.rc, expected=11, given=12):
        t.anchor_batch(node, 12, 20, random_bytes32())  # gap: a missing event
    with reverts("AccessTrailInvalidRange", firstSeq=11, lastSeq=10):
        t.anchor_batch(node, 11, 10, random_bytes32())
    with reverts("AccessTrailZeroValue"):
        t.anchor_batch(node, 11, 12, ZERO)
    with reverts("AccessTrailZeroValue"):
        t.anchor_event(node, 11, ZERO)
    assert t.last_sequence(k.rc) == 10


def test_only_anchor_accounts_anchor(k: Consortium) -> None:
    t = k.c.trail
    for who in ("rc_officer", "rc_admin", "outsider"):
        with reverts("AccessTrailUnauthorized", account=k.addr(who), neededRoles=16):
            t.anchor_event(k.actor(who), 1, random_bytes32())
        with reverts("AccessTrailUnauthorized", account=k.addr(who), neededRoles=16):
            t.anchor_batch(k.actor(who), 1, 5, random_bytes32())
    assert t.last_sequence(k.rc) == 0


def test_only_auditors_review_watchdog_alerts_each_review_on_the_chain(k: Consortium) -> None:
    t, b = k.c.trail, k.c.bodies
    alert, events, note = random_bytes32(), random_bytes32(), random_bytes32()
    for who in ("rc_officer", "rc_admin", "rc_node", "outsider"):  # a body's admin is no auditor
        with reverts("AccessTrailUnauthorized", account=k.addr(who), neededRoles=4):
            t.review_alert(k.actor(who), alert, events, 1, note)
    b.set_roles(k.actor("dept_admin"), k.addr("dept_officer2"), Role.OFFICER | Role.AUDITOR)
    auditor = k.actor("dept_officer2")
    for verdict in (0, 3):
        with reverts("AccessTrailInvalidVerdict", verdict=verdict):
            t.review_alert(auditor, alert, events, verdict, note)
    for zeroed in ((ZERO, events, note), (alert, ZERO, note), (alert, events, ZERO)):
        with reverts("AccessTrailZeroValue"):
            t.review_alert(auditor, zeroed[0], zeroed[1], 1, zeroed[2])
    receipt = t.review_alert(auditor, alert, events, 2, note)
    assert t.handle.one_event(receipt, "AlertReviewed") == {
        "alertId": alert,
        "body": k.dept,
        "reviewer": k.addr("dept_officer2"),
        "verdict": 2,
        "eventsHash": events,
        "noteHash": note,
    }
