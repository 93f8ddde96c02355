"""Seals: a sealing body hides its own grant's or emergency's reads for at most 90 days; only an
oversight body extends a seal, by at most 90 days each time; the sealer releases early, never extends."""

from __future__ import annotations

from ledger.chain.bodies import BodyProfile
from ledger.chain.seals import MAX_SPAN, Target
from ledger.ids import BodyKind, Role, code_id, text_hash
from tests.support import DAY, Consortium, advance_time, reverts

ZERO = b"\0" * 32
OVERSIGHT = code_id("procuratorate")


def _admit_oversight(k: Consortium) -> None:
    """Admits the procuratorate (an oversight body; admins newcomer, newcomer2) and lets public security seal."""
    c = k.c
    p = c.bodies.propose_admission(
        k.actor("office_admin"),
        OVERSIGHT,
        BodyProfile(BodyKind.OVERSIGHT, name_hash=text_hash("Procuratorate")),
        [k.addr("newcomer"), k.addr("newcomer2")],
        k.chain.timestamp() + 30 * DAY,
    )
    for voter in ("rc_admin", "dept_admin", "ps_admin"):
        if c.bodies.get_proposal(p).executed:
            break
        c.bodies.vote(k.actor(voter), p)
    c.seals.set_sealer(k.actor("office_admin"), k.ps, True)


def _ps_grant(k: Consortium) -> int:
    rid = k.c.access.request_access(k.actor("ps_officer"), k.request(purpose=k.security))
    return k.c.access.approve(k.actor("rc_admin"), rid, k.chain.timestamp() + 30 * DAY)


def test_only_the_founder_lets_a_department_seal(k: Consortium) -> None:
    s = k.c.seals
    for who in ("rc_admin", "ps_admin", "dept_admin", "outsider"):
        with reverts("SealsUnauthorized"):
            s.set_sealer(k.actor(who), k.ps, True)
    with reverts("SealsNotSealer", body=k.rc):
        s.set_sealer(k.actor("office_admin"), k.rc, True)  # a committee never seals
    assert not s.is_sealer(k.ps)
    s.set_sealer(k.actor("office_admin"), k.ps, True)
    assert s.is_sealer(k.ps)


def test_a_sealer_seals_only_its_own_grant_for_at_most_90_days(k: Consortium) -> None:
    _admit_oversight(k)
    s, a = k.c.seals, k.c.access
    grant = _ps_grant(k)
    case = text_hash("case 2026-117")
    now = k.chain.timestamp()
    # another body's grant, a body that may not seal, a stranger, a bad target, no case, a 91-day seal
    rid = a.request_access(k.actor("dept_officer"), k.request())
    dept_grant = a.approve(k.actor("rc_admin"), rid, now + DAY)
    with reverts("SealsNotOwnTarget", body=k.ps, target=1, targetId=dept_grant):
        s.seal(k.actor("ps_officer"), Target.GRANT, dept_grant, case, now + DAY)
    with reverts("SealsNotSealer", body=k.dept):
        s.seal(k.actor("dept_officer"), Target.GRANT, dept_grant, case, now + DAY)
    with reverts("SealsUnauthorized"):
        s.seal(k.actor("outsider"), Target.GRANT, grant, case, now + DAY)
    with reverts("SealsZeroValue"):
        s.seal(k.actor("ps_officer"), Target.GRANT, grant, ZERO, now + DAY)
    with reverts("SealsInvalidUntil"):
        s.seal(k.actor("ps_officer"), Target.GRANT, grant, case, now + MAX_SPAN + DAY)
    with reverts("SealsInvalidUntil"):
        s.seal(k.actor("ps_officer"), Target.GRANT, grant, case, now - 1)
    assert s.count() == 0
    until = k.chain.timestamp() + 30 * DAY
    seal_id = s.seal(k.actor("ps_officer"), Target.GRANT, grant, case, until)
    got = s.get(seal_id)
    assert (got.body, got.target, got.target_id, got.case_hash, got.until, got.extensions) == (
        k.ps,
        Target.GRANT,
        grant,
        case,
        until,
        0,
    )
    assert s.seal_of(Target.GRANT, grant) == seal_id and got.in_force(k.chain.timestamp())
    with reverts("SealsAlreadySealed", target=1, targetId=grant, sealId=seal_id):
        s.seal(k.actor("ps_officer"), Target.GRANT, grant, case, until)


def test_only_oversight_extends_by_at_most_90_days_and_the_sealer_releases(k: Consortium) -> None:
    _admit_oversight(k)
    s = k.c.seals
    k.c.bodies.add_member(k.actor("newcomer"), k.addr("spare"), Role.OFFICER)  # the procuratorate's officer
    seal_id = s.seal(k.actor("ps_officer"), Target.GRANT, _ps_grant(k), text_hash("case"), k.chain.timestamp() + 80 * DAY)
    end = s.get(seal_id).until
    reason = text_hash("the investigation goes on: witness abroad")
    # the sealer cannot extend its own seal, nor can an auditor-less committee or a department
    for who in ("ps_officer", "ps_admin", "rc_admin", "dept_officer"):
        with reverts("SealsNotOversight"):
            s.extend(k.actor(who), seal_id, end + DAY, reason)
    with reverts("SealsInvalidUntil", until=end + MAX_SPAN + 1, latest=end + MAX_SPAN):
        s.extend(k.actor("spare"), seal_id, end + MAX_SPAN + 1, reason)  # 90 days and a second
    with reverts("SealsInvalidUntil"):
        s.extend(k.actor("spare"), seal_id, end, reason)  # no later than now
    with reverts("SealsZeroValue"):
        s.extend(k.actor("spare"), seal_id, end + DAY, ZERO)
    receipt = s.extend(k.actor("spare"), seal_id, end + MAX_SPAN, reason)
    assert s.handle.one_event(receipt, "SealExtended") == {
        "sealId": seal_id,
        "oversightBody": OVERSIGHT,
        "until": end + MAX_SPAN,
        "reasonHash": reason,
        "by": k.addr("spare"),
    }
    assert (s.get(seal_id).until, s.get(seal_id).extensions) == (end + MAX_SPAN, 1)
    # only the sealing body releases; then it is ended for good
    for who in ("spare", "dept_officer", "rc_admin"):
        with reverts("SealsUnauthorized"):
            s.release(k.actor(who), seal_id)
    s.release(k.actor("ps_officer"), seal_id)
    assert not s.get(seal_id).in_force(k.chain.timestamp()) and s.get(seal_id).released_at > 0
    with reverts("SealsSealEnded", sealId=seal_id):
        s.extend(k.actor("spare"), seal_id, end + MAX_SPAN + DAY, reason)
    with reverts("SealsSealEnded", sealId=seal_id):
        s.release(k.actor("ps_officer"), seal_id)


def test_an_emergency_is_sealed_by_its_reader_body_and_ends_at_its_date(k: Consortium) -> None:
    _admit_oversight(k)
    s, a = k.c.seals, k.c.access
    k.c.bodies.add_member(k.actor("newcomer"), k.addr("spare"), Role.OFFICER)
    eid = a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, k.security, text_hash("a missing child"))
    with reverts("SealsInvalidTarget", target=0):
        s.seal(k.actor("ps_officer"), 0, eid, text_hash("c"), k.chain.timestamp() + DAY)  # type: ignore[arg-type]
    seal_id = s.seal(k.actor("ps_officer"), Target.EMERGENCY, eid, text_hash("case 9"), k.chain.timestamp() + 2 * DAY)
    assert s.seal_of(Target.EMERGENCY, eid) == seal_id
    assert s.handle.view("inForce", seal_id) is True
    advance_time(k.chain, 2 * DAY + 1)
    assert s.handle.view("inForce", seal_id) is False  # its date passed: the reads are shown
    with reverts("SealsSealEnded", sealId=seal_id):
        s.extend(k.actor("spare"), seal_id, k.chain.timestamp() + DAY, text_hash("too late"))
    with reverts("SealsUnknownSeal", sealId=99):
        s.release(k.actor("ps_officer"), 99)
