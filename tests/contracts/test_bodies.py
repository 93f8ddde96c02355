"""BodyRegistry behaviour: admission votes, removal, members, roles, profiles."""

from __future__ import annotations

from ledger.chain.bodies import BodyProfile
from ledger.ids import BodyKind, Role, code_id, text_hash
from tests.support import DAY, Consortium, advance_time, reverts

NEW = code_id("newbody")


def _profile() -> BodyProfile:
    return BodyProfile(BodyKind.DEPARTMENT, name_hash=text_hash("Health Commission"))


def test_founding_state(k: Consortium) -> None:
    b = k.c.bodies
    assert b.founder() == k.office
    assert b.active_body_count() == 4
    assert b.handle.view("quorumBps") == 5001
    founder = b.get_body(k.office)
    assert (founder.kind, founder.active, founder.admin_count) == (BodyKind.SUBDISTRICT_OFFICE, True, 2)
    assert b.member_of(k.addr("office_admin")) == (k.office, Role.ADMIN)
    assert b.has_roles(k.addr("ps_officer"), Role.OFFICER | Role.EMERGENCY)
    assert not b.has_roles(k.addr("dept_officer"), Role.EMERGENCY)
    assert b.handle.view("hasAnyRole", k.addr("ps_officer"), int(Role.EMERGENCY | Role.ADMIN))
    assert b.member_of(k.addr("outsider")) == (b"\0" * 32, Role(0))


def test_admission_needs_majority_of_active_bodies(k: Consortium) -> None:
    b = k.c.bodies
    assert b.required_votes() == 3  # ceil(4 * 50.01%)
    deadline = k.chain.timestamp() + DAY
    pid = b.propose_admission(k.actor("dept_admin"), NEW, _profile(), [k.addr("newcomer"), k.addr("newcomer2")], deadline)
    p = b.get_proposal(pid)
    assert (p.votes, p.required, p.executed, p.proposer_body) == (1, 3, False, k.dept)
    assert not b.is_active(NEW)
    assert b.has_voted(pid, k.dept)
    with reverts("BodyRegistryAlreadyVoted", proposalId=pid, body=k.dept):
        b.vote(k.actor("dept_admin2"), pid)
    b.vote(k.actor("ps_admin"), pid)
    assert not b.is_active(NEW)
    receipt = b.vote(k.actor("rc_admin"), pid)
    admitted = b.handle.one_event(receipt, "BodyAdmitted")
    assert admitted["body"] == NEW and admitted["kind"] == BodyKind.DEPARTMENT
    assert b.is_active(NEW) and b.get_proposal(pid).executed
    assert b.member_of(k.addr("newcomer")) == (NEW, Role.ADMIN)
    assert b.active_body_count() == 5 and b.handle.view("proposalCount") == pid + 1
    with reverts("BodyRegistryProposalClosed", proposalId=pid):
        b.vote(k.actor("office_admin"), pid)


def test_admission_refusals(k: Consortium) -> None:
    b = k.c.bodies
    deadline = k.chain.timestamp() + DAY
    admins = [k.addr("newcomer"), k.addr("newcomer2")]
    with reverts("BodyRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=1):
        b.propose_admission(k.actor("dept_officer"), NEW, _profile(), admins, deadline)
    with reverts("BodyRegistryUnauthorized", account=k.addr("outsider"), neededRoles=1):
        b.propose_admission(k.actor("outsider"), NEW, _profile(), admins, deadline)
    with reverts("BodyRegistryBodyExists", body=k.dept):
        b.propose_admission(k.actor("office_admin"), k.dept, _profile(), admins, deadline)
    with reverts("BodyRegistryZeroId"):
        b.propose_admission(k.actor("office_admin"), b"\0" * 32, _profile(), admins, deadline)
    with reverts("BodyRegistryTooFewAdmins", body=NEW, admins=1):
        b.propose_admission(k.actor("office_admin"), NEW, _profile(), admins[:1], deadline)
    with reverts("BodyRegistryAccountTaken", account=k.addr("rc_officer"), body=k.rc):
        b.propose_admission(k.actor("office_admin"), NEW, _profile(), [k.addr("rc_officer"), admins[0]], deadline)
    with reverts("BodyRegistryAccountTaken", account=admins[0], body=NEW):
        b.propose_admission(k.actor("office_admin"), NEW, _profile(), [admins[0], admins[0]], deadline)
    with reverts("BodyRegistryInvalidDeadline"):
        b.propose_admission(k.actor("office_admin"), NEW, _profile(), admins, k.chain.timestamp() - 1)
    with reverts("BodyRegistryUnknownProposal", proposalId=999):
        b.vote(k.actor("office_admin"), 999)
    with reverts("BodyRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        b.vote(k.actor("rc_officer"), 0)
    assert not b.is_active(NEW)


def test_vote_after_deadline_is_refused(k: Consortium) -> None:
    b = k.c.bodies
    deadline = k.chain.timestamp() + 100
    pid = b.propose_admission(k.actor("office_admin"), NEW, _profile(), [k.addr("newcomer"), k.addr("newcomer2")], deadline)
    advance_time(k.chain, 200)
    with reverts("BodyRegistryProposalExpired", proposalId=pid, deadline=deadline):
        b.vote(k.actor("rc_admin"), pid)
    assert not b.is_active(NEW)


def test_removal_by_vote_takes_roles_away(k: Consortium) -> None:
    b = k.c.bodies
    deadline = k.chain.timestamp() + DAY
    with reverts("BodyRegistryFounderNotRemovable", body=k.office):
        b.propose_removal(k.actor("rc_admin"), k.office, deadline)
    with reverts("BodyRegistryUnknownBody", body=NEW):
        b.propose_removal(k.actor("rc_admin"), NEW, deadline)
    with reverts("BodyRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=1):
        b.propose_removal(k.actor("dept_officer"), k.ps, deadline)
    pid = b.propose_removal(k.actor("office_admin"), k.ps, deadline)
    b.vote(k.actor("dept_admin"), pid)
    assert b.is_active(k.ps)
    receipt = b.vote(k.actor("rc_admin"), pid)
    assert b.handle.one_event(receipt, "BodyRemoved")["body"] == k.ps
    assert not b.is_active(k.ps) and b.active_body_count() == 3
    assert b.member_of(k.addr("ps_officer")) == (k.ps, Role(0))
    assert not b.has_roles(k.addr("ps_officer"), Role.OFFICER)
    with reverts("BodyRegistryUnauthorized", account=k.addr("ps_admin"), neededRoles=1):
        b.add_member(k.actor("ps_admin"), k.addr("spare"), Role.OFFICER)


def test_members_and_roles(k: Consortium) -> None:
    b = k.c.bodies
    rc_admin = k.actor("rc_admin")
    receipt = b.add_member(rc_admin, k.addr("spare"), Role.OFFICER)
    ev = b.handle.one_event(receipt, "MemberAdded")
    assert (ev["body"], ev["account"], ev["roles"], ev["by"]) == (k.rc, k.addr("spare"), 2, k.addr("rc_admin"))
    assert b.set_roles(rc_admin, k.addr("spare"), Role.OFFICER | Role.ADMIN) is True
    assert b.get_body(k.rc).admin_count == 3
    assert b.set_roles(rc_admin, k.addr("spare"), Role.OFFICER | Role.ADMIN) is False  # idempotent, no event
    b.remove_member(rc_admin, k.addr("spare"))
    assert b.member_of(k.addr("spare")) == (b"\0" * 32, Role(0))
    assert b.get_body(k.rc).admin_count == 2


def test_member_refusals(k: Consortium) -> None:
    b = k.c.bodies
    rc_admin = k.actor("rc_admin")
    with reverts("BodyRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        b.add_member(k.actor("rc_officer"), k.addr("spare"), Role.OFFICER)
    with reverts("BodyRegistryAccountTaken", account=k.addr("dept_officer"), body=k.dept):
        b.add_member(rc_admin, k.addr("dept_officer"), Role.OFFICER)
    with reverts("BodyRegistryInvalidRoles", roles=0):
        b.add_member(rc_admin, k.addr("spare"), Role(0))
    with reverts("BodyRegistryInvalidRoles", roles=64):
        b.add_member(rc_admin, k.addr("spare"), Role(64))
    with reverts("BodyRegistryInvalidRoles", roles=int(Role.OFFICER | Role.EMERGENCY)):
        b.add_member(rc_admin, k.addr("spare"), Role.OFFICER | Role.EMERGENCY)  # rc is no emergency body
    with reverts("BodyRegistryNotMember", account=k.addr("dept_officer"), body=k.rc):
        b.set_roles(rc_admin, k.addr("dept_officer"), Role.OFFICER)
    with reverts("BodyRegistryNotMember", account=k.addr("dept_officer"), body=k.rc):
        b.remove_member(rc_admin, k.addr("dept_officer"))
    assert b.member_of(k.addr("spare"))[1] == Role(0)


def test_two_admins_always_remain(k: Consortium) -> None:
    b = k.c.bodies
    with reverts("BodyRegistryTooFewAdmins", body=k.rc, admins=1):
        b.remove_member(k.actor("rc_admin"), k.addr("rc_admin2"))
    with reverts("BodyRegistryTooFewAdmins", body=k.rc, admins=1):
        b.set_roles(k.actor("rc_admin"), k.addr("rc_admin"), Role.OFFICER)
    assert b.get_body(k.rc).admin_count == 2


def test_profile_update(k: Consortium) -> None:
    b = k.c.bodies
    with reverts("BodyRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        b.update_profile(k.actor("rc_officer"), b"\x04" * 65, "https://rc.example")
    receipt = b.update_profile(k.actor("rc_admin"), b"\x04" * 65, "https://rc.example")
    assert b.handle.one_event(receipt, "BodyProfileUpdated")["endpoint"] == "https://rc.example"
    body = b.get_body(k.rc)
    assert (body.encryption_key, body.endpoint) == (b"\x04" * 65, "https://rc.example")
    with reverts("BodyRegistryUnknownBody", body=NEW):
        b.get_body(NEW)
