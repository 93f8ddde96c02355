"""ResidentRegistry: a resident belongs to one committee, which alone acts for them; moves need both sides.

The regressions are named after the faults found by trying the contracts as another committee would
(issue 21): binding a wallet for a resident not its own, consenting with it, overriding the resident's
refusal, unbinding the real wallet.
"""

from __future__ import annotations

import pytest

from ledger.chain.access import ConsentState, Decision
from ledger.ids import code_id, text_hash
from tests.support import DAY, Consortium, admit_second_committee, random_bytes32, reverts

ZERO = b"\0" * 32


@pytest.fixture
def k2(k: Consortium) -> Consortium:
    admit_second_committee(k)
    return k


def _consent_grant(k: Consortium) -> int:
    rid = k.c.access.request_access(k.actor("dept_officer"), k.request(fields=0b1, record_id=k.health_record))
    return k.c.access.approve(k.actor("rc_admin"), rid, k.chain.timestamp() + DAY)


def test_a_committees_first_record_enrols_the_resident(k2: Consortium) -> None:
    r = k2.c.residents
    assert r.committee_of(k2.subject) == k2.rc  # build_consortium: rc registered the subject's records
    [first] = r.history_of(k2.subject)
    assert first.committee == k2.rc and first.since > 0
    newcomer = random_bytes32()
    # a department's record enrols no one; another committee's record of the rc's resident (someone living
    # in its area, registered at rc) does not make it their committee
    k2.c.records.register(k2.actor("dept_officer"), random_bytes32(), newcomer, k2.household, b"\xc2" * 32)
    assert r.committee_of(newcomer) == ZERO
    k2.c.records.register(k2.actor("rc2_officer"), random_bytes32(), k2.subject, k2.household, b"\xc3" * 32)
    assert r.committee_of(k2.subject) == k2.rc and len(r.history_of(k2.subject)) == 1
    r.enrol(k2.actor("rc2_officer"), newcomer)
    assert r.committee_of(newcomer) == k2.rc2
    with reverts("ResidentRegistryEnrolled", subject=newcomer, committee=k2.rc2):
        r.enrol(k2.actor("rc_officer"), newcomer)
    with reverts("ResidentRegistryNotCommittee", body=k2.dept):
        r.enrol(k2.actor("dept_officer"), random_bytes32())
    with reverts("ResidentRegistryUnauthorized", account=k2.addr("outsider"), neededRoles=2):
        r.enrol(k2.actor("outsider"), random_bytes32())


def test_only_the_record_registry_enrols_on_a_record(k2: Consortium) -> None:
    with reverts("ResidentRegistryOnlyRecordRegistry", caller=k2.addr("rc2_officer")):
        k2.actor("rc2_officer").send(k2.c.residents.handle, "enrolOnRecord", k2.subject, k2.rc2, k2.addr("rc2_officer"))
    assert k2.c.residents.committee_of(k2.subject) == k2.rc


def test_another_committee_binding_a_residents_wallet_is_refused(k2: Consortium) -> None:
    r = k2.c.residents
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("rc2_officer"), subject=k2.subject):
        r.bind_wallet(k2.actor("rc2_officer"), k2.addr("spare"), k2.subject)
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("dept_officer"), subject=k2.subject):
        r.bind_wallet(k2.actor("dept_officer"), k2.addr("spare"), k2.subject)
    assert r.resident_subject(k2.addr("spare")) == ZERO
    r.bind_wallet(k2.actor("rc_officer"), k2.addr("resident"), k2.subject)
    receipt_logs = r.handle.logs("ResidentBound", account=k2.addr("resident"))
    assert [bytes(log["committee"]) for log in receipt_logs] == [k2.rc]  # the chain names the committee that acted


def test_another_committee_consenting_for_a_resident_is_refused(k2: Consortium) -> None:
    grant = _consent_grant(k2)
    with reverts("AccessRegistryNotConsentAuthority", account=k2.addr("rc2_officer"), grantId=grant):
        k2.c.access.set_consent(k2.actor("rc2_officer"), grant, k2.subject, True, text_hash("forged form"))
    assert k2.c.access.consent_of(grant, k2.subject) == ConsentState.NONE
    assert k2.c.access.set_consent(k2.actor("rc_officer"), grant, k2.subject, True, text_hash("form #7"))
    [log] = k2.c.access.handle.logs("ConsentRecorded", grantId=grant)
    assert bytes(log["committee"]) == k2.rc and log["by"] == k2.addr("rc_officer")


def test_another_committee_overriding_a_residents_refusal_is_refused(k2: Consortium) -> None:
    r, a = k2.c.residents, k2.c.access
    grant = _consent_grant(k2)
    r.bind_wallet(k2.actor("rc_officer"), k2.addr("resident"), k2.subject)
    assert a.set_consent(k2.actor("resident"), grant, k2.subject, False)
    # another committee cannot bind a wallet of its own to the subject, and so cannot speak as the resident
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("rc2_officer"), subject=k2.subject):
        r.bind_wallet(k2.actor("rc2_officer"), k2.addr("spare"), k2.subject)
    with reverts("AccessRegistryNotConsentAuthority", account=k2.addr("spare"), grantId=grant):
        a.set_consent(k2.actor("spare"), grant, k2.subject, True, text_hash("x"))
    assert a.check_access(k2.addr("dept_officer"), k2.health_record, 0b1, k2.review, grant) == Decision.CONSENT_REFUSED


def test_another_committee_unbinding_a_residents_wallet_is_refused(k2: Consortium) -> None:
    r = k2.c.residents
    r.bind_wallet(k2.actor("rc_officer"), k2.addr("resident"), k2.subject)
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("rc2_officer"), subject=k2.subject):
        r.unbind_wallet(k2.actor("rc2_officer"), k2.addr("resident"))
    assert r.resident_subject(k2.addr("resident")) == k2.subject
    r.unbind_wallet(k2.actor("resident"), k2.addr("resident"))  # the resident may unbind their own account
    assert r.resident_subject(k2.addr("resident")) == ZERO


def test_a_move_needs_both_committees_admins_and_keeps_the_history(k2: Consortium) -> None:
    r, a = k2.c.residents, k2.c.access
    with reverts("ResidentRegistryUnauthorized", account=k2.addr("rc_officer"), neededRoles=1):
        r.approve_transfer(k2.actor("rc_officer"), k2.subject, k2.rc2)  # an officer, not an admin
    with reverts("ResidentRegistryNotTransferParty", account=k2.addr("dept_admin"), subject=k2.subject, to=k2.rc2):
        r.approve_transfer(k2.actor("dept_admin"), k2.subject, k2.rc2)
    with reverts("ResidentRegistryNotCommittee", body=k2.dept):
        r.approve_transfer(k2.actor("rc_admin"), k2.subject, k2.dept)
    assert r.approve_transfer(k2.actor("rc_admin"), k2.subject, k2.rc2) is False  # one side: not yet
    pending = r.pending_transfer(k2.subject)
    assert (pending.to, pending.from_approved, pending.to_approved) == (k2.rc2, True, False)
    assert r.committee_of(k2.subject) == k2.rc
    assert r.approve_transfer(k2.actor("rc2_admin"), k2.subject, k2.rc2) is True
    assert r.committee_of(k2.subject) == k2.rc2
    assert [m.committee for m in r.history_of(k2.subject)] == [k2.rc, k2.rc2]
    assert r.pending_transfer(k2.subject).to == ZERO
    # now the new committee acts for the resident, and the old one no longer does
    grant = _consent_grant(k2)
    with reverts("AccessRegistryNotConsentAuthority", account=k2.addr("rc_officer"), grantId=grant):
        a.set_consent(k2.actor("rc_officer"), grant, k2.subject, True, text_hash("form"))
    assert a.set_consent(k2.actor("rc2_officer"), grant, k2.subject, True, text_hash("form"))
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("rc_officer"), subject=k2.subject):
        r.bind_wallet(k2.actor("rc_officer"), k2.addr("resident"), k2.subject)


def test_the_subdistrict_office_moves_a_resident_alone(k2: Consortium) -> None:
    r = k2.c.residents
    assert r.approve_transfer(k2.actor("office_admin"), k2.subject, k2.rc2) is True
    assert r.committee_of(k2.subject) == k2.rc2
    logs = r.handle.logs("ResidentTransferred", subject=k2.subject)
    assert [(bytes(x["from"]), bytes(x["to"])) for x in logs] == [(k2.rc, k2.rc2)]
    with reverts("ResidentRegistryNotEnrolled", subject=code_id("nobody")):
        r.approve_transfer(k2.actor("office_admin"), code_id("nobody"), k2.rc)


def test_only_the_resident_or_their_committee_with_evidence_sets_how_they_are_told(k2: Consortium) -> None:
    r, category, evidence = k2.c.residents, k2.health, random_bytes32()
    for who in ("rc2_officer", "dept_officer", "outsider"):  # another committee, a department, a stranger
        with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr(who), subject=k2.subject):
            r.set_notice_choice(k2.actor(who), k2.subject, category, 3, evidence)
    with reverts("ResidentRegistryZeroValue"):  # their committee, without the evidence of the resident's wish
        r.set_notice_choice(k2.actor("rc_officer"), k2.subject, category, 3, ZERO)
    with reverts("ResidentRegistryInvalidChoice", choice=4):
        r.set_notice_choice(k2.actor("rc_officer"), k2.subject, category, 4, evidence)
    assert r.notice_choice(k2.subject, category) == 0
    receipt = r.set_notice_choice(k2.actor("rc_officer"), k2.subject, category, 3, evidence)
    assert r.handle.one_event(receipt, "NoticeChoiceSet") == {
        "subject": k2.subject,
        "category": category,
        "choice": 3,
        "by": k2.addr("rc_officer"),
        "evidenceHash": evidence,
    }
    # the resident's own bound account, with no evidence needed; another resident's account is refused
    r.bind_wallet(k2.actor("rc_officer"), k2.addr("resident"), k2.subject)
    r.set_notice_choice(k2.actor("resident"), k2.subject, category, 1, ZERO)
    assert r.notice_choice(k2.subject, category) == 1
    other = random_bytes32()
    r.enrol(k2.actor("rc_officer"), other)
    with reverts("ResidentRegistryNotResidentsCommittee", account=k2.addr("resident"), subject=other):
        r.set_notice_choice(k2.actor("resident"), other, category, 3, ZERO)
