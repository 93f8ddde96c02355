"""EIP-712 forwarded requests: the person is the actor; replays, expiry and forgeries fail."""

from __future__ import annotations

from ledger.chain import forwarder as fwd
from ledger.chain.client import Relayer
from ledger.errors import ForwardRequestInvalid
from ledger.ids import Role
from tests.support import Consortium, advance_time, random_bytes32, reverts


def _relayer(k: Consortium) -> Relayer:
    return Relayer(k.chain, k.acct("relayer"))


def test_relayed_action_records_the_person_as_actor(k: Consortium) -> None:
    relayer = _relayer(k)
    typed = relayer.prepare(k.addr("rc_admin"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.OFFICER))
    assert fwd.recover(typed, fwd.sign(k.acct("rc_admin"), typed).signature) == k.addr("rc_admin")
    receipt = relayer.relay(fwd.sign(k.acct("rc_admin"), typed))
    assert receipt["from"] == k.addr("relayer")  # the node paid and sent ...
    ev = k.c.bodies.handle.one_event(receipt, "MemberAdded")
    assert ev["by"] == k.addr("rc_admin")  # ... but the contract saw the person
    assert k.c.bodies.member_of(k.addr("spare")) == (k.rc, Role.OFFICER)
    assert k.c.bodies.handle.view("isTrustedForwarder", relayer.forwarder.address)


def test_relayed_record_registration_is_the_officers(k: Consortium) -> None:
    rid = random_bytes32()
    actor = k.chain.relayed(k.acct("rc_officer"), k.acct("relayer"))
    receipt = k.c.records.register(actor, rid, random_bytes32(), k.household, random_bytes32())
    assert k.c.records.handle.one_event(receipt, "RecordRegistered")["by"] == k.addr("rc_officer")
    assert k.c.records.get_record(rid).custodian == k.rc


def test_replayed_request_fails(k: Consortium) -> None:
    relayer = _relayer(k)
    typed = relayer.prepare(k.addr("rc_admin"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.OFFICER))
    signed = fwd.sign(k.acct("rc_admin"), typed)
    relayer.relay(signed)
    k.c.bodies.remove_member(k.actor("rc_admin"), k.addr("spare"))
    with reverts("ERC2771ForwarderInvalidSigner") as info:
        relayer.relay(signed)  # the nonce moved on: the signature no longer matches
    assert isinstance(info.value, ForwardRequestInvalid)
    assert k.c.bodies.member_of(k.addr("spare"))[1] == Role(0)


def test_expired_request_fails(k: Consortium) -> None:
    relayer = _relayer(k)
    typed = relayer.prepare(k.addr("rc_admin"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.OFFICER), ttl=30)
    signed = fwd.sign(k.acct("rc_admin"), typed)
    advance_time(k.chain, 120)
    with reverts("ERC2771ForwarderExpiredRequest", deadline=typed["message"]["deadline"]):
        relayer.relay(signed)
    assert k.c.bodies.member_of(k.addr("spare"))[1] == Role(0)


def test_request_signed_by_someone_else_fails(k: Consortium) -> None:
    relayer = _relayer(k)
    # The node (or anyone) builds a request "from" the admin but signs it with another key.
    typed = relayer.prepare(k.addr("rc_admin"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.ADMIN))
    forged = fwd.sign(k.acct("relayer"), typed)
    with reverts("ERC2771ForwarderInvalidSigner", signer=k.addr("relayer"), **{"from": k.addr("rc_admin")}):
        relayer.relay(forged)
    # A genuine signature over other call data does not carry over either.
    genuine = fwd.sign(k.acct("rc_admin"), typed)
    other = k.c.bodies.handle.encode("addMember", k.addr("outsider"), int(Role.ADMIN))
    tampered = fwd.ForwardRequest(
        genuine.sender, genuine.to, genuine.value, genuine.gas, genuine.deadline, other, genuine.signature
    )
    with reverts("ERC2771ForwarderInvalidSigner"):
        relayer.relay(tampered)
    assert k.c.bodies.member_of(k.addr("spare"))[1] == Role(0)
    assert k.c.bodies.member_of(k.addr("outsider"))[1] == Role(0)


def test_refused_inner_call_is_reported_before_signing(k: Consortium) -> None:
    relayer = _relayer(k)
    with reverts("BodyRegistryUnauthorized", account=k.addr("rc_officer"), neededRoles=1):
        relayer.prepare(k.addr("rc_officer"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.OFFICER))
    # Signed while allowed, relayed after the state changed: refused with the contract's reason.
    typed = relayer.prepare(k.addr("rc_admin"), k.c.bodies.handle, "addMember", k.addr("spare"), int(Role.OFFICER))
    signed = fwd.sign(k.acct("rc_admin"), typed)
    k.c.bodies.add_member(k.actor("rc_admin"), k.addr("spare"), Role.AUDITOR)
    with reverts("BodyRegistryAccountTaken", account=k.addr("spare"), body=k.rc):
        relayer.relay(signed)
    assert k.c.bodies.member_of(k.addr("spare")) == (k.rc, Role.AUDITOR)
