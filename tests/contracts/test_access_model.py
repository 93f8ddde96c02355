"""Stateful property test: the contracts and the one Python access rule (:mod:`ledger.access.rule`) agree.

Random sequences of requests and approvals, revocations, consent (by the resident, by their own
committee, refused to another committee), time passing, emergency declarations with a purpose and
their verdicts, residents' moves between committees, and grids and posts (members assigned to posts
covering grids or the whole body, moved, ended; the resident placed in a grid; grants to a post, and
grants to a person bound to their assignment) run on the in-process EVM. After every step, for every
grant, every declaration and the committees' own reads, what ``checkAccess``/``checkEmergency`` answer
must equal what :func:`ledger.access.rule.decide` says from the chain's state (the views the audit's
history mirrors).
"""

from __future__ import annotations

import functools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ledger.access.rule import EMERGENCY_WINDOW, ChainFacts, ReadAsked, RecordFacts, decide
from ledger.chain.access import ZERO, Scope
from ledger.chain.compiler import Build
from ledger.chain.records import RecordStatus
from ledger.errors import ContractRevert
from ledger.ids import code_id, text_hash
from tests.support import DAY, Consortium, Snapshots, admit_second_committee, advance_time, build_consortium, evm_chain

READERS = ("dept_officer", "dept_officer2", "ps_officer")
CASEWORKER, GRID_WORKER = code_id("caseworker"), code_id("grid_worker")
G1, G2 = code_id("grid-1"), code_id("grid-2")
#: Who may be given a post, and the admin of their body who gives it.
STAFF = {"dept_officer": "dept_admin", "dept_officer2": "dept_admin", "rc_officer": "rc_admin", "rc2_officer": "rc2_admin"}
COMMITTEE_READERS = ("rc_officer", "rc_admin", "rc2_officer")
AMBIGUOUS = 30  # seconds around an expiry where "now" differs between a call and the last block


class Views:
    """The contracts' views, each asked once per step (the chain does not change within an invariant)."""

    def __init__(self, k: Consortium) -> None:
        self.k = k
        self.member_of = functools.cache(k.c.bodies.member_of)
        self.get_record = functools.cache(k.c.records.get_record)
        self.requires_consent = functools.cache(lambda cat: k.c.records.get_category(cat).requires_consent)
        self.assignment_of = functools.cache(k.c.bodies.assignment_of)
        self.get_assignment = functools.cache(k.c.bodies.get_assignment)
        self.grids_of = functools.cache(k.c.bodies.grids_of)
        self.committee_of = functools.cache(k.c.residents.committee_of)
        self.grid_of = functools.cache(k.c.residents.grid_of)


def chain_facts(k: Consortium, read: ReadAsked, views: Views | None = None) -> ChainFacts:
    """What the chain holds now about ``read``, from the contracts' views."""
    c, v = k.c, views or Views(k)
    body, roles = v.member_of(read.reader)
    rec = v.get_record(read.record_id)
    record = RecordFacts(rec.custodian, rec.subject, rec.category, rec.status == RecordStatus.ACTIVE)
    grant = c.access.get_grant(read.grant_id) if read.grant_id else None
    emergency = c.access.get_emergency(read.emergency_id) if read.emergency_id else None
    current = v.assignment_of(read.reader)
    return ChainFacts(
        now=k.chain.timestamp(),
        reader_body=body,
        reader_roles=roles,
        record=record,
        grant=grant,
        emergency=emergency,
        consent=c.access.consent_of(read.grant_id, rec.subject),
        requires_consent=v.requires_consent(rec.category),
        reader_assignment=v.get_assignment(current) if current else None,
        body_has_grids=bool(v.grids_of(body)),
        subject_grid=v.grid_of(rec.subject) if v.committee_of(rec.subject) == body else ZERO,
        grant_assignment=v.get_assignment(grant.assignment) if grant and grant.assignment else None,
    )


def near(now: int, *moments: int) -> bool:
    return any(abs(m - now) <= AMBIGUOUS for m in moments)


def test_the_contracts_and_the_access_rule_agree(build: Build) -> None:
    k = build_consortium(evm_chain(build))
    admit_second_committee(k)
    k.c.residents.bind_wallet(k.actor("rc_officer"), k.addr("resident"), k.subject)
    for post in (CASEWORKER, GRID_WORKER):
        k.c.bodies.define_post(k.actor("office_admin"), post)
    for admin in ("rc_admin", "rc2_admin"):  # the same grid codes in both committees: never confused
        for grid in (G1, G2):
            k.c.bodies.define_grid(k.actor(admin), grid, f"{admin} {grid.rstrip(bytes(1)).decode()}")
    start = k.chain.timestamp() - 60  # everyone starts in a post, so grants are bound from the first step
    for member, admin in STAFF.items():
        post, grids = (CASEWORKER, ()) if admin == "dept_admin" else (GRID_WORKER, (G1,))
        k.c.bodies.assign_post(k.actor(admin), k.addr(member), post, grids, start, start + 40 * DAY)
    k.c.residents.place_in_grid(k.actor("rc_admin"), k.subject, G1)
    snaps = Snapshots(k.chain)
    holder = {"base": snaps.take()}

    class AccessMachine(RuleBasedStateMachine):
        grants = Bundle("grants")
        emergencies = Bundle("emergencies")

        def __init__(self) -> None:
            super().__init__()
            snaps.revert(holder["base"])
            holder["base"] = snaps.take()
            self.grant_ids: list[int] = []
            self.emergency_ids: list[int] = []
            self.unreviewed: list[int] = []

        def committee(self) -> tuple[str, str]:
            """(an officer of, an officer of the other) committee, as the chain says the subject belongs now."""
            now = k.c.residents.committee_of(k.subject)
            return ("rc_officer", "rc2_officer") if now == k.rc else ("rc2_officer", "rc_officer")

        @rule(
            target=grants,
            reader=st.sampled_from(READERS),
            health=st.booleans(),
            whole_category=st.booleans(),
            fields=st.integers(1, 63),
            security=st.booleans(),
            ttl=st.integers(120, 20_000),
            for_post=st.booleans(),
        )
        def request_and_approve(
            self, reader: str, health: bool, whole_category: bool, fields: int, security: bool, ttl: int, for_post: bool
        ) -> int:
            record = k.health_record if health else k.record_id
            purpose = k.security if security else k.review
            post = CASEWORKER if for_post else ZERO
            request = (
                k.request(record_id=record, fields=fields, purpose=purpose, post=post)
                if not whole_category
                else k.request(
                    scope=Scope.SUBJECT_CATEGORY,
                    record_id=b"\0" * 32,
                    custodian=k.rc,
                    subject=k.subject,
                    category=k.health if health else k.household,
                    fields=fields,
                    purpose=purpose,
                    post=post,
                )
            )
            request_id = k.c.access.request_access(k.actor(reader), request)
            grant_id = k.c.access.approve(k.actor("rc_admin"), request_id, k.chain.timestamp() + ttl)
            self.grant_ids.append(grant_id)
            return grant_id

        @rule(grant=grants)
        def revoke(self, grant: int) -> None:
            k.c.access.revoke(k.actor("rc_admin"), grant)

        @rule(grant=grants, given=st.booleans(), by_resident=st.booleans())
        def consent(self, grant: int, given: bool, by_resident: bool) -> None:
            own, other = self.committee()
            try:  # another committee is always refused, whatever the state
                k.c.access.set_consent(k.actor(other), grant, k.subject, given, text_hash("forged"))
                raise AssertionError("another committee recorded consent")
            except ContractRevert as exc:
                assert exc.error == "AccessRegistryNotConsentAuthority"
            try:
                if by_resident:
                    k.c.access.set_consent(k.actor("resident"), grant, k.subject, given)
                else:
                    k.c.access.set_consent(k.actor(own), grant, k.subject, given, text_hash("signed form"))
            except ContractRevert as exc:  # the resident decided already: their committee may not override
                assert not by_resident and exc.error == "AccessRegistryResidentDecided", exc

        @rule()
        def move(self) -> None:
            to = k.rc2 if k.c.residents.committee_of(k.subject) == k.rc else k.rc
            assert k.c.residents.approve_transfer(k.actor("office_admin"), k.subject, to)

        @rule(
            member=st.sampled_from(sorted(STAFF)),
            post=st.sampled_from([CASEWORKER, GRID_WORKER]),
            grids=st.sampled_from([(), (G1,), (G2,), (G1, G2)]),
            ttl=st.integers(120, 20_000),
        )
        def assign(self, member: str, post: bytes, grids: tuple[bytes, ...], ttl: int) -> None:
            now = k.chain.timestamp()
            grids = grids if member.startswith("rc") else ()  # a department has no grids
            k.c.bodies.assign_post(k.actor(STAFF[member]), k.addr(member), post, grids, now - 60, now + ttl)

        @rule(member=st.sampled_from(sorted(STAFF)))
        def end_post(self, member: str) -> None:
            current = k.c.bodies.assignment_of(k.addr(member))
            if current:
                k.c.bodies.end_assignment(k.actor(STAFF[member]), current)

        @rule(grid=st.sampled_from([ZERO, G1, G2]))
        def place(self, grid: bytes) -> None:
            admin = "rc_admin" if k.c.residents.committee_of(k.subject) == k.rc else "rc2_admin"
            k.c.residents.place_in_grid(k.actor(admin), k.subject, grid)

        @rule(seconds=st.integers(60, 8_000))
        def time_passes(self, seconds: int) -> None:
            advance_time(k.chain, seconds)

        @rule(target=emergencies, health=st.booleans(), fields=st.integers(1, 7), security=st.booleans())
        def emergency(self, health: bool, fields: int, security: bool) -> int:
            record = k.health_record if health else k.record_id
            eid = k.c.access.declare_emergency(
                k.actor("ps_officer"), record, fields, k.security if security else k.review, text_hash("fire")
            )
            self.emergency_ids.append(eid)
            self.unreviewed.append(eid)
            return eid

        @precondition(lambda self: bool(self.unreviewed))
        @rule(justified=st.booleans())
        def review(self, justified: bool) -> None:
            k.c.access.review_emergency(k.actor("rc_admin"), self.unreviewed.pop(0), justified)

        def unsettled(self, now: int) -> bool:
            """Whether an assignment's end date is too near ``now`` to tell a call's time from the block's."""
            return any(near(now, k.c.bodies.get_assignment(i).until) for i in range(1, k.c.bodies.assignment_count() + 1))

        @invariant()
        def committee_reads_agree(self) -> None:
            now, views = k.chain.timestamp(), Views(k)
            if self.unsettled(now):
                return
            for reader in COMMITTEE_READERS:
                read = ReadAsked(k.addr(reader), k.record_id, 1, k.review)
                got = k.c.access.check_access(read.reader, read.record_id, read.fields, read.purpose, 0)
                assert got == decide(read, chain_facts(k, read, views)), (reader, got)

        @invariant()
        def grants_agree(self) -> None:
            now, views = k.chain.timestamp(), Views(k)
            if self.unsettled(now):
                return
            for grant_id in self.grant_ids:
                g = k.c.access.get_grant(grant_id)
                if near(now, g.expires_at):
                    continue
                reader = g.grantee if g.grantee != "0x" + "0" * 40 else k.addr("dept_officer")
                record = (
                    g.record_id if g.scope is Scope.RECORD else (k.health_record if g.category == k.health else k.record_id)
                )
                other_purpose = k.security if g.purpose == k.review else k.review
                other_reader = k.addr("ps_officer" if reader != k.addr("ps_officer") else "dept_officer2")
                other_record = k.record_id if record == k.health_record else k.health_record
                for read in (
                    ReadAsked(reader, record, g.fields, g.purpose, grant_id=grant_id),
                    ReadAsked(reader, record, g.fields | 1 << 5, g.purpose, grant_id=grant_id),
                    ReadAsked(reader, record, g.fields, other_purpose, grant_id=grant_id),
                    ReadAsked(other_reader, other_record, 1, g.purpose, grant_id=grant_id),
                    ReadAsked(k.addr("dept_officer2"), record, g.fields, g.purpose, grant_id=grant_id),
                ):
                    got = k.c.access.check_access(read.reader, read.record_id, read.fields, read.purpose, grant_id)
                    assert got == decide(read, chain_facts(k, read, views)), (read, got)

        @invariant()
        def emergencies_agree(self) -> None:
            now, views = k.chain.timestamp(), Views(k)
            for eid in self.emergency_ids:
                e = k.c.access.get_emergency(eid)
                if near(now, e.declared_at + EMERGENCY_WINDOW):
                    continue
                other = k.security if e.purpose == k.review else k.review
                for read in (
                    ReadAsked(e.reader, e.record_id, e.fields, e.purpose, emergency_id=eid),
                    ReadAsked(e.reader, e.record_id, e.fields | 1 << 4, e.purpose, emergency_id=eid),
                    ReadAsked(e.reader, e.record_id, 1, other, emergency_id=eid),
                    ReadAsked(k.addr("dept_officer"), e.record_id, 1, e.purpose, emergency_id=eid),
                ):
                    got = k.c.access.check_emergency(eid, read.reader, read.record_id, read.fields, read.purpose)
                    assert got == decide(read, chain_facts(k, read, views)), (read, got)

        @invariant()
        def unreviewed_emergencies_match(self) -> None:
            assert k.c.access.unreviewed_emergencies(k.rc) == len(self.unreviewed)

    run_state_machine_as_test(
        AccessMachine,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
