"""AccessRegistry behaviour: purposes, requests, grants, agreements, consent, emergencies."""

from __future__ import annotations

import pytest

from ledger.chain.access import ConsentState, Decision, RequestStatus, Scope
from ledger.errors import AccessDenied, ConsentMissing, GrantExpired, GrantRevoked
from ledger.ids import code_id, text_hash
from tests.support import DAY, Consortium, advance_time, random_bytes32, reverts

ZERO = b"\0" * 32


def _grant(k: Consortium, fields: int = 0b11, who: str = "dept_officer", **kw: object) -> int:
    rid = k.c.access.request_access(k.actor(who), k.request(fields=fields, **kw))
    return k.c.access.approve(k.actor("rc_admin"), rid, k.chain.timestamp() + DAY)


def test_purposes(k: Consortium) -> None:
    a = k.c.access
    office = k.actor("office_admin")
    new = code_id("statistics")
    assert not a.is_purpose(new)
    a.define_purpose(office, new)
    assert a.is_purpose(new)
    with reverts("AccessRegistryPurposeExists", purpose=new):
        a.define_purpose(office, new)
    with reverts("AccessRegistryUnauthorized", account=k.addr("rc_admin"), neededRoles=1):
        a.define_purpose(k.actor("rc_admin"), code_id("other"))
    with reverts("AccessRegistryUnauthorized", account=k.addr("rc_admin"), neededRoles=1):
        a.retire_purpose(k.actor("rc_admin"), new)
    with reverts("AccessRegistryZeroValue"):
        a.define_purpose(office, ZERO)
    a.retire_purpose(office, new)
    assert not a.is_purpose(new)
    with reverts("AccessRegistryUnknownPurpose", purpose=new):
        a.retire_purpose(office, new)


def test_request_approve_read_revoke(k: Consortium) -> None:
    a = k.c.access
    officer = k.addr("dept_officer")
    assert a.find_grant(officer, k.record_id, 0b11, k.review) == (Decision.NO_GRANT, 0)
    request_id = a.request_access(k.actor("dept_officer"), k.request(fields=0b11))
    req = a.get_request(request_id)
    assert (req.status, req.requester, req.requester_body, req.custodian, req.subject, req.category) == (
        RequestStatus.PENDING,
        officer,
        k.dept,
        k.rc,
        k.subject,
        k.household,
    )
    expires = k.chain.timestamp() + DAY
    grant_id = a.approve(k.actor("rc_admin"), request_id, expires)
    g = a.get_grant(grant_id)
    assert (g.scope, g.grantee, g.grantee_body, g.custodian, g.fields, g.expires_at, g.request_id) == (
        Scope.RECORD,
        officer,
        k.dept,
        k.rc,
        0b11,
        expires,
        request_id,
    )
    assert a.get_request(request_id).status == RequestStatus.APPROVED
    assert a.find_grant(officer, k.record_id, 0b11, k.review) == (Decision.GRANTED, grant_id)
    assert a.find_grant(officer, k.record_id, 0b01, k.review) == (Decision.GRANTED, grant_id)
    assert a.check_access(officer, k.record_id, 0b111, k.review, grant_id) == Decision.FIELDS_NOT_COVERED
    assert a.check_access(officer, k.record_id, 0b11, k.security, grant_id) == Decision.PURPOSE_MISMATCH
    # The grant is the officer's own: a colleague of the same body has none.
    assert a.check_access(k.addr("dept_officer2"), k.record_id, 0b11, k.review, grant_id) == Decision.WRONG_GRANT
    assert a.check_access(officer, k.health_record, 0b1, k.review, grant_id) == Decision.WRONG_GRANT
    assert a.revoke(k.actor("rc_admin"), grant_id) is True
    assert a.revoke(k.actor("rc_admin"), grant_id) is False  # idempotent
    assert a.find_grant(officer, k.record_id, 0b11, k.review) == (Decision.REVOKED, 0)
    with pytest.raises(GrantRevoked):
        a.check_access(officer, k.record_id, 0b11, k.review, grant_id).raise_if_denied()


def test_expired_grant_reads_as_no_access(k: Consortium) -> None:
    a = k.c.access
    request_id = a.request_access(k.actor("dept_officer"), k.request())
    grant_id = a.approve(k.actor("rc_admin"), request_id, k.chain.timestamp() + 3600)
    assert a.check_access(k.addr("dept_officer"), k.record_id, 0b11, k.review, grant_id) == Decision.GRANTED
    advance_time(k.chain, 3601)
    decision = a.check_access(k.addr("dept_officer"), k.record_id, 0b11, k.review, grant_id)
    assert decision == Decision.EXPIRED
    with pytest.raises(GrantExpired):
        decision.raise_if_denied()


def test_own_body_unknown_erased_and_outsiders(k: Consortium) -> None:
    a = k.c.access
    assert a.find_grant(k.addr("rc_officer"), k.record_id, 0b111111, k.review) == (Decision.OWN_BODY, 0)
    assert a.find_grant(k.addr("outsider"), k.record_id, 1, k.review) == (Decision.NOT_MEMBER, 0)
    assert a.find_grant(k.addr("rc_node"), k.record_id, 1, k.review) == (Decision.NOT_MEMBER, 0)  # anchor only
    assert a.find_grant(k.addr("dept_officer"), random_bytes32(), 1, k.review) == (Decision.UNKNOWN_RECORD, 0)
    k.c.records.erase(k.actor("rc_admin"), k.record_id)
    assert a.find_grant(k.addr("rc_officer"), k.record_id, 1, k.review) == (Decision.RECORD_ERASED, 0)
    with pytest.raises(AccessDenied):
        Decision.NO_GRANT.raise_if_denied()


def test_request_refusals(k: Consortium) -> None:
    a = k.c.access
    officer = k.actor("dept_officer")
    with reverts("AccessRegistryUnauthorized", account=k.addr("outsider"), neededRoles=3):
        a.request_access(k.actor("outsider"), k.request())
    with reverts("AccessRegistryUnauthorized", account=k.addr("rc_node"), neededRoles=3):
        a.request_access(k.actor("rc_node"), k.request())
    with reverts("AccessRegistryOwnBody", body=k.rc):
        a.request_access(k.actor("rc_officer"), k.request())
    with reverts("AccessRegistryUnknownPurpose", purpose=code_id("curiosity")):
        a.request_access(officer, k.request(purpose=code_id("curiosity")))
    with reverts("AccessRegistryZeroValue"):
        a.request_access(officer, k.request(justification_hash=ZERO))
    with reverts("AccessRegistryInvalidFields", category=k.household, fieldMask=1 << 6):
        a.request_access(officer, k.request(fields=1 << 6))
    with reverts("AccessRegistryInvalidFields", category=k.household, fieldMask=0):
        a.request_access(officer, k.request(fields=0))
    rid = random_bytes32()
    with reverts("RecordRegistryUnknownRecord", recordId=rid):
        a.request_access(officer, k.request(record_id=rid))
    with reverts("AccessRegistryInvalidScope", scope=Scope.SUBJECT_CATEGORY):
        a.request_access(
            officer, k.request(scope=Scope.SUBJECT_CATEGORY, record_id=ZERO, custodian=k.rc, category=k.household)
        )  # no subject
    with reverts("AccessRegistryInvalidScope", scope=Scope.AGREEMENT):
        a.request_access(
            k.actor("dept_admin"),
            k.request(scope=Scope.AGREEMENT, record_id=ZERO, custodian=k.rc, category=k.household, subject=k.subject),
        )
    with reverts("AccessRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=1):
        a.request_access(officer, k.request(scope=Scope.AGREEMENT, record_id=ZERO, custodian=k.rc, category=k.household))
    with reverts("AccessRegistryInactiveBody", body=code_id("nobody")):
        a.request_access(
            officer,
            k.request(
                scope=Scope.SUBJECT_CATEGORY,
                record_id=ZERO,
                custodian=code_id("nobody"),
                category=k.household,
                subject=k.subject,
            ),
        )
    k.c.records.erase(k.actor("rc_admin"), k.record_id)
    with reverts("AccessRegistryRecordNotActive", recordId=k.record_id):
        a.request_access(officer, k.request())
    assert a.handle.view("counts") == (0, 0, 0)


def test_decisions_on_requests(k: Consortium) -> None:
    a = k.c.access
    request_id = a.request_access(k.actor("dept_officer"), k.request())
    future = k.chain.timestamp() + DAY
    with reverts("AccessRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        a.approve(k.actor("rc_officer"), request_id, future)
    with reverts("AccessRegistryNotCustodian", account=k.addr("dept_admin"), custodian=k.rc):
        a.approve(k.actor("dept_admin"), request_id, future)  # admin of another body
    with reverts("AccessRegistryInvalidExpiry"):
        a.approve(k.actor("rc_admin"), request_id, k.chain.timestamp() - 1)
    with reverts("AccessRegistryNotCustodian", account=k.addr("ps_admin"), custodian=k.rc):
        a.deny(k.actor("ps_admin"), request_id)
    with reverts("AccessRegistryUnauthorized", account=k.addr("dept_officer2")):
        a.cancel(k.actor("dept_officer2"), request_id)
    with reverts("AccessRegistryUnknownRequest", requestId=99):
        a.approve(k.actor("rc_admin"), 99, future)
    reason = text_hash("not necessary")
    receipt = a.deny(k.actor("rc_admin"), request_id, reason)
    assert a.handle.one_event(receipt, "RequestDenied")["reasonHash"] == reason
    assert a.get_request(request_id).status == RequestStatus.DENIED
    with reverts("AccessRegistryRequestNotPending", requestId=request_id, status=RequestStatus.DENIED):
        a.approve(k.actor("rc_admin"), request_id, future)
    second = a.request_access(k.actor("dept_officer"), k.request())
    a.cancel(k.actor("dept_officer"), second)
    assert a.get_request(second).status == RequestStatus.CANCELLED
    with reverts("AccessRegistryRequestNotPending", requestId=second, status=RequestStatus.CANCELLED):
        a.deny(k.actor("rc_admin"), second)
    assert a.find_grant(k.addr("dept_officer"), k.record_id, 1, k.review) == (Decision.NO_GRANT, 0)


def test_revoke_refusals(k: Consortium) -> None:
    a = k.c.access
    grant_id = _grant(k)
    with reverts("AccessRegistryNotCustodian", account=k.addr("dept_admin"), custodian=k.rc):
        a.revoke(k.actor("dept_admin"), grant_id)
    with reverts("AccessRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=1):
        a.revoke(k.actor("dept_officer"), grant_id)
    with reverts("AccessRegistryUnknownGrant", grantId=42):
        a.revoke(k.actor("rc_admin"), 42)
    assert not a.get_grant(grant_id).revoked


def test_subject_category_grant_covers_the_subjects_records_of_that_category(k: Consortium) -> None:
    a = k.c.access
    req = k.request(scope=Scope.SUBJECT_CATEGORY, record_id=ZERO, custodian=k.rc, subject=k.subject, category=k.household)
    grant_id = a.approve(k.actor("rc_admin"), a.request_access(k.actor("dept_officer"), req), k.chain.timestamp() + DAY)
    later = random_bytes32()
    k.c.records.register(k.actor("rc_officer"), later, k.subject, k.household, random_bytes32())
    other_subject = random_bytes32()
    k.c.records.register(k.actor("rc_officer"), other_subject, random_bytes32(), k.household, random_bytes32())
    officer = k.addr("dept_officer")
    assert a.find_grant(officer, k.record_id, 0b11, k.review) == (Decision.GRANTED, grant_id)
    assert a.find_grant(officer, later, 0b11, k.review) == (Decision.GRANTED, grant_id)
    assert a.find_grant(officer, other_subject, 0b11, k.review) == (Decision.NO_GRANT, 0)
    assert a.find_grant(officer, k.health_record, 0b1, k.review) == (Decision.NO_GRANT, 0)


def test_standing_agreement_covers_every_officer_of_the_body(k: Consortium) -> None:
    a = k.c.access
    req = k.request(scope=Scope.AGREEMENT, record_id=ZERO, custodian=k.rc, category=k.household, fields=0b1111)
    request_id = a.request_access(k.actor("dept_admin"), req)
    grant_id = a.approve(k.actor("rc_admin"), request_id, k.chain.timestamp() + DAY)
    g = a.get_grant(grant_id)
    assert (g.scope, g.grantee, g.grantee_body) == (Scope.AGREEMENT, "0x" + "0" * 40, k.dept)
    for officer in ("dept_officer", "dept_officer2", "dept_admin"):
        assert a.find_grant(k.addr(officer), k.record_id, 0b1111, k.review) == (Decision.GRANTED, grant_id)
    assert a.find_grant(k.addr("ps_officer"), k.record_id, 0b1, k.review) == (Decision.NO_GRANT, 0)
    a.revoke(k.actor("rc_admin"), grant_id)
    assert a.find_grant(k.addr("dept_officer2"), k.record_id, 0b1, k.review) == (Decision.REVOKED, 0)


def test_consent_required_category(k: Consortium) -> None:
    a = k.c.access
    grant_id = _grant(k, fields=0b1, record_id=k.health_record)
    officer = k.addr("dept_officer")
    decision = a.check_access(officer, k.health_record, 0b1, k.review, grant_id)
    assert decision == Decision.CONSENT_MISSING
    with pytest.raises(ConsentMissing):
        decision.raise_if_denied()
    # The resident's own account, bound to their subject id by their committee, consents.
    r = k.c.residents
    with reverts("ResidentRegistryNotResidentsCommittee", account=k.addr("dept_officer"), subject=k.subject):
        r.bind_wallet(k.actor("dept_officer"), k.addr("resident"), k.subject)  # not a committee
    r.bind_wallet(k.actor("rc_officer"), k.addr("resident"), k.subject)
    assert r.resident_subject(k.addr("resident")) == k.subject
    with reverts("ResidentRegistryWalletBound", account=k.addr("resident"), subject=k.subject):
        r.bind_wallet(k.actor("rc_officer"), k.addr("resident"), k.subject)
    with reverts("ResidentRegistryWalletBound", account=k.addr("dept_officer"), subject=ZERO):
        r.bind_wallet(k.actor("rc_officer"), k.addr("dept_officer"), k.subject)  # a member, not a resident
    resident = k.actor("resident")
    assert a.set_consent(resident, grant_id, k.subject, False) is True
    assert a.check_access(officer, k.health_record, 0b1, k.review, grant_id) == Decision.CONSENT_REFUSED
    assert a.set_consent(resident, grant_id, k.subject, True) is True
    assert a.set_consent(resident, grant_id, k.subject, True) is False  # idempotent
    assert a.consent_of(grant_id, k.subject) == ConsentState.GIVEN
    assert a.check_access(officer, k.health_record, 0b1, k.review, grant_id) == Decision.GRANTED
    with reverts("AccessRegistrySubjectMismatch", grantId=grant_id):
        a.set_consent(resident, grant_id, random_bytes32(), True)
    r.unbind_wallet(k.actor("rc_admin"), k.addr("resident"))
    with reverts("ResidentRegistryNotBound", account=k.addr("resident")):
        r.unbind_wallet(k.actor("rc_admin"), k.addr("resident"))


def test_committee_records_consent_with_evidence(k: Consortium) -> None:
    a = k.c.access
    grant_id = _grant(k, fields=0b1, record_id=k.health_record)
    with reverts("AccessRegistryZeroValue"):
        a.set_consent(k.actor("rc_officer"), grant_id, k.subject, True)  # evidence is mandatory
    for who in ("dept_officer", "outsider", "resident", "office_admin"):  # none is the resident's committee
        with reverts("AccessRegistryNotConsentAuthority", account=k.addr(who), grantId=grant_id):
            a.set_consent(k.actor(who), grant_id, k.subject, True, text_hash("signed form"))
    evidence = text_hash("signed consent form #88")
    receipt = a.set_consent(k.actor("rc_officer"), grant_id, k.subject, True, evidence)
    assert receipt is True
    assert a.check_access(k.addr("dept_officer"), k.health_record, 0b1, k.review, grant_id) == Decision.GRANTED
    with reverts("AccessRegistryUnknownGrant", grantId=77):
        a.set_consent(k.actor("rc_officer"), 77, k.subject, True, evidence)


def test_a_residents_own_decision_is_never_overridden_by_the_committee(k: Consortium) -> None:
    a = k.c.access
    grant_id = _grant(k, fields=0b1, record_id=k.health_record)
    evidence = text_hash("signed consent form #91")
    assert a.set_consent(k.actor("rc_officer"), grant_id, k.subject, True, evidence) is True  # on paper first
    k.c.residents.bind_wallet(k.actor("rc_officer"), k.addr("resident"), k.subject)
    # the resident confirms with their own account: the decision becomes theirs, even unchanged
    assert a.set_consent(k.actor("resident"), grant_id, k.subject, True) is True
    assert a.set_consent(k.actor("resident"), grant_id, k.subject, True) is False
    assert a.set_consent(k.actor("resident"), grant_id, k.subject, False) is True
    with reverts("AccessRegistryResidentDecided", grantId=grant_id, subject=k.subject):
        a.set_consent(k.actor("rc_admin"), grant_id, k.subject, True, evidence)
    assert a.consent_of(grant_id, k.subject) == ConsentState.REFUSED
    assert a.check_access(k.addr("dept_officer"), k.health_record, 0b1, k.review, grant_id) == Decision.CONSENT_REFUSED


def test_emergency_read_is_flagged_until_reviewed(k: Consortium) -> None:
    a = k.c.access
    reason, fire = text_hash("missing child, rapid search"), k.security
    with reverts("AccessRegistryUnauthorized", account=k.addr("dept_officer"), neededRoles=8):
        a.declare_emergency(k.actor("dept_officer"), k.record_id, 0b11, fire, reason)
    with reverts("AccessRegistryZeroValue"):
        a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, fire, ZERO)
    with reverts("AccessRegistryInvalidFields", category=k.household, fieldMask=1 << 9):
        a.declare_emergency(k.actor("ps_officer"), k.record_id, 1 << 9, fire, reason)
    with reverts("AccessRegistryUnknownPurpose", purpose=code_id("curiosity")):
        a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, code_id("curiosity"), reason)
    eid = a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, fire, reason)
    e = a.get_emergency(eid)
    assert (e.reader, e.reader_body, e.custodian, e.reviewed, e.purpose, e.reason_hash) == (
        k.addr("ps_officer"),
        k.ps,
        k.rc,
        False,
        fire,
        reason,
    )
    assert a.unreviewed_emergencies(k.rc) == 1
    ps = k.addr("ps_officer")
    assert a.check_emergency(eid, ps, k.record_id, 0b01, fire) == Decision.GRANTED
    assert a.check_emergency(eid, ps, k.record_id, 0b100, fire) == Decision.EMERGENCY_NOT_COVERED
    assert a.check_emergency(eid, k.addr("dept_officer"), k.record_id, 0b01, fire) == Decision.EMERGENCY_NOT_COVERED
    assert a.check_emergency(99, ps, k.record_id, 0b01, fire) == Decision.EMERGENCY_NOT_COVERED
    with reverts("AccessRegistryNotCustodian", account=k.addr("ps_admin"), custodian=k.rc):
        a.review_emergency(k.actor("ps_admin"), eid, True)
    with reverts("AccessRegistryUnknownEmergency", emergencyId=5):
        a.review_emergency(k.actor("rc_admin"), 5, True)
    a.review_emergency(k.actor("rc_admin"), eid, True, text_hash("justified"))
    assert a.unreviewed_emergencies(k.rc) == 0 and a.get_emergency(eid).justified
    assert a.check_emergency(eid, ps, k.record_id, 0b01, fire) == Decision.GRANTED  # justified: the window runs on
    with reverts("AccessRegistryEmergencyReviewed", emergencyId=eid):
        a.review_emergency(k.actor("rc_admin"), eid, False)
    advance_time(k.chain, 3601)
    assert a.check_emergency(eid, ps, k.record_id, 0b01, fire) == Decision.EXPIRED  # the window has passed


def test_a_read_under_an_emergency_ruled_unjustified_is_refused(k: Consortium) -> None:
    a, ps = k.c.access, k.addr("ps_officer")
    eid = a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, k.security, text_hash("a hunch"))
    assert a.check_emergency(eid, ps, k.record_id, 0b11, k.security) == Decision.GRANTED
    a.review_emergency(k.actor("rc_admin"), eid, False, text_hash("no emergency: curiosity"))
    # within the hour, for the declared purpose and fields: the verdict binds at once
    assert a.check_emergency(eid, ps, k.record_id, 0b11, k.security) == Decision.EMERGENCY_UNJUSTIFIED
    assert a.check_emergency(eid, ps, k.record_id, 0b01, k.security) == Decision.EMERGENCY_UNJUSTIFIED


def test_a_read_under_an_emergency_with_another_purpose_is_refused(k: Consortium) -> None:
    a, ps = k.c.access, k.addr("ps_officer")
    eid = a.declare_emergency(k.actor("ps_officer"), k.record_id, 0b11, k.security, text_hash("fire on floor 3"))
    assert a.check_emergency(eid, ps, k.record_id, 0b11, k.review) == Decision.PURPOSE_MISMATCH
    assert a.check_emergency(eid, ps, k.record_id, 0b11, k.security) == Decision.GRANTED
