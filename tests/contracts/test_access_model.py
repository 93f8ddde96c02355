"""Stateful property test: AccessRegistry against a small Python model of the access rules.

Random sequences of requests+approvals, revocations, consent, time passing and emergency
declarations/reviews run on the in-process EVM; after every step each grant's decision,
"may this reader read these fields now", and the unreviewed-emergency count must equal
the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from ledger.chain.access import Decision
from ledger.chain.compiler import Build
from ledger.ids import text_hash
from tests.support import Consortium, Snapshots, advance_time, build_consortium, evm_chain

READERS = ("dept_officer", "dept_officer2", "ps_officer")
AMBIGUOUS = 30  # seconds around an expiry where "now" differs between a call and the last block


@dataclass
class ModelGrant:
    id: int
    reader: str
    record: bytes
    fields: int
    purpose: bytes
    expires_at: int
    revoked: bool = False
    consent: bool | None = None


def model_decision(k: Consortium, g: ModelGrant, reader: str, record: bytes, mask: int, purpose: bytes,
                   now: int) -> Decision | None:
    """The rules as a user reads them; None where the clock makes the answer ambiguous."""
    if g.reader != reader or g.record != record:
        return Decision.WRONG_GRANT
    if g.purpose != purpose:
        return Decision.PURPOSE_MISMATCH
    if mask == 0 or mask & ~g.fields:
        return Decision.FIELDS_NOT_COVERED
    if g.revoked:
        return Decision.REVOKED
    if abs(g.expires_at - now) <= AMBIGUOUS:
        return None
    if now >= g.expires_at:
        return Decision.EXPIRED
    if record == k.health_record:  # the health category requires consent
        if g.consent is None:
            return Decision.CONSENT_MISSING
        if g.consent is False:
            return Decision.CONSENT_REFUSED
    return Decision.GRANTED


def test_access_contract_matches_the_model(build: Build) -> None:
    k = build_consortium(evm_chain(build))
    k.c.access.bind_resident(k.actor("rc_officer"), k.addr("resident"), k.subject)
    snaps = Snapshots(k.chain)
    holder = {"base": snaps.take()}

    class AccessMachine(RuleBasedStateMachine):
        grants = Bundle("grants")

        def __init__(self) -> None:
            super().__init__()
            snaps.revert(holder["base"])
            holder["base"] = snaps.take()
            self.model: dict[int, ModelGrant] = {}
            self.unreviewed: list[int] = []

        @rule(target=grants, reader=st.sampled_from(READERS), health=st.booleans(),
              fields=st.integers(1, 63), security=st.booleans(), ttl=st.integers(120, 20_000))
        def request_and_approve(self, reader: str, health: bool, fields: int, security: bool, ttl: int) -> int:
            record = k.health_record if health else k.record_id
            purpose = k.security if security else k.review
            request_id = k.c.access.request_access(k.actor(reader), k.request(record_id=record, fields=fields,
                                                                              purpose=purpose))
            expires = k.chain.timestamp() + ttl
            grant_id = k.c.access.approve(k.actor("rc_admin"), request_id, expires)
            self.model[grant_id] = ModelGrant(grant_id, reader, record, fields, purpose, expires)
            return grant_id

        @rule(grant=grants)
        def revoke(self, grant: int) -> None:
            changed = k.c.access.revoke(k.actor("rc_admin"), grant)
            assert changed == (not self.model[grant].revoked)
            self.model[grant].revoked = True

        @rule(grant=grants, given=st.booleans())
        def consent(self, grant: int, given: bool) -> None:
            g = self.model[grant]
            if g.record != k.health_record:
                return
            k.c.access.set_consent(k.actor("resident"), grant, k.subject, given)
            g.consent = given

        @rule(seconds=st.integers(60, 8_000))
        def time_passes(self, seconds: int) -> None:
            advance_time(k.chain, seconds)

        @rule(health=st.booleans())
        def emergency(self, health: bool) -> None:
            record = k.health_record if health else k.record_id
            self.unreviewed.append(k.c.access.declare_emergency(k.actor("ps_officer"), record, 1, text_hash("fire")))

        @rule(justified=st.booleans())
        def review(self, justified: bool) -> None:
            if self.unreviewed:
                k.c.access.review_emergency(k.actor("rc_admin"), self.unreviewed.pop(0), justified)

        @invariant()
        def decisions_match(self) -> None:
            now = k.chain.timestamp()
            for g in self.model.values():
                # Alternate between exactly the granted fields and one field more.
                mask = g.fields if g.id % 2 else g.fields | (1 << 5)
                want = model_decision(k, g, g.reader, g.record, mask, g.purpose, now)
                if want is not None:
                    got = k.c.access.check_access(k.addr(g.reader), g.record, mask, g.purpose, g.id)
                    assert got == want, (g, mask, now)
            for reader in READERS:
                for record in (k.record_id, k.health_record):
                    decisions = [model_decision(k, g, reader, record, 1, k.review, now) for g in self.model.values()]
                    if None in decisions:
                        continue
                    d, grant_id = k.c.access.find_grant(k.addr(reader), record, 1, k.review)
                    assert (d == Decision.GRANTED) == (Decision.GRANTED in decisions)
                    if d == Decision.GRANTED:
                        assert model_decision(k, self.model[grant_id], reader, record, 1, k.review, now) == Decision.GRANTED

        @invariant()
        def unreviewed_emergencies_match(self) -> None:
            assert k.c.access.unreviewed_emergencies(k.rc) == len(self.unreviewed)

    run_state_machine_as_test(AccessMachine, settings=settings(
        max_examples=20, stateful_step_count=10, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
