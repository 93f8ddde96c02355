"""The access rule, once: may this account read these fields of this record, for this purpose, now?

:func:`decide` is a pure function of what the chain held at one block (:class:`ChainFacts`) and
of what the read asked (:class:`ReadAsked`). It says what ``AccessRegistry.checkAccess`` and
``checkEmergency`` say, in the same order, with the same :class:`~ledger.chain.access.Decision`
codes (``no_grant``, ``grant_revoked``, ``consent_refused``, ``emergency_unjustified``, ``post_ended``,
``outside_grid``, ...):

- the audit decides every access event with it, from the chain index at the event's block;
- a hypothesis state machine (``tests/contracts/test_access_model.py``) drives the contracts and
  asserts after every step that they and this function agree.

A node serving a read asks the contract itself (at the head it follows), so that what is enforced
is what the chain says; this copy exists to re-decide past reads without trusting the node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.access import ZERO, ConsentState, Decision, Emergency, Grant, Scope
from ledger.chain.bodies import Assignment
from ledger.ids import Role

#: How long an emergency declaration covers reads (``EmergencyAccess.EMERGENCY_WINDOW``).
EMERGENCY_WINDOW = 3600


@dataclass(frozen=True)
class ReadAsked:
    """What one read asked: who, which record, which fields (a mask), which purpose, under what."""

    reader: str
    record_id: bytes
    fields: int
    purpose: bytes
    grant_id: int = 0
    emergency_id: int = 0


@dataclass(frozen=True)
class RecordFacts:
    custodian: bytes
    subject: bytes
    category: bytes
    active: bool


@dataclass(frozen=True)
class ChainFacts:
    """What the chain held at one block, about one read.

    ``grant``/``emergency`` are the ones the read names, as the contract's getters return them at that
    block (None when unknown then; a grant revoked later is not ``revoked`` yet, a declaration reviewed
    later not ``reviewed``); ``consent`` is the state under that grant for the record's subject.

    Posts (``Posts.sol``): ``reader_assignment`` is the reader's current assignment (None when none),
    ``body_has_grids`` whether the reader's body published grids, ``subject_grid`` the grid the record's
    subject is placed in when their committee is the reader's body (zero otherwise), and
    ``grant_assignment`` the assignment the named grant is bound to (None when it is bound to none).
    """

    now: int
    reader_body: bytes
    reader_roles: int
    record: RecordFacts | None
    grant: Grant | None = None
    emergency: Emergency | None = None
    consent: ConsentState = ConsentState.NONE
    requires_consent: bool = False
    reader_assignment: Assignment | None = None
    body_has_grids: bool = False
    subject_grid: bytes = ZERO
    grant_assignment: Assignment | None = None

    def in_force(self, a: Assignment | None) -> bool:
        """``Posts.assignmentInForce`` for an assignment of the reader (whose membership is checked)."""
        return a is not None and a.in_force(self.now) and a.body == self.reader_body and self.reader_roles != 0

    def covers_grid(self) -> bool:
        """``Posts.coversGrid(reader, subject_grid)``."""
        if not self.body_has_grids:
            return True
        a = self.reader_assignment
        if a is None or not self.in_force(a):
            return False
        return not a.grids or (self.subject_grid != ZERO and self.subject_grid in a.grids)

    def holds_post(self, post: bytes) -> bool:
        """``Posts.holdsPost(reader, reader_body, post)``."""
        a = self.reader_assignment
        return a is not None and self.in_force(a) and a.post == post


def decide(read: ReadAsked, chain: ChainFacts) -> Decision:
    """The decision of ``checkEmergency`` (for a read under a declaration) or ``checkAccess``."""
    if read.emergency_id:
        return _emergency(read, chain)
    if chain.reader_roles & (Role.OFFICER | Role.ADMIN) == 0:
        return Decision.NOT_MEMBER
    rec = chain.record
    if rec is None:
        return Decision.UNKNOWN_RECORD
    if not rec.active:
        return Decision.RECORD_ERASED
    if rec.custodian == chain.reader_body:
        return Decision.OWN_BODY if chain.covers_grid() else Decision.OUTSIDE_GRID
    if read.grant_id == 0 or chain.grant is None:
        return Decision.NO_GRANT
    return evaluate_grant(read, chain, chain.grant, rec)


def evaluate_grant(read: ReadAsked, chain: ChainFacts, g: Grant, rec: RecordFacts) -> Decision:
    """``AccessRegistry._evaluate``: whether grant ``g`` covers the read, then whether it is in force."""
    covers = g.custodian == rec.custodian and g.grantee_body == chain.reader_body
    grantee = chain.holds_post(g.post) if g.post != ZERO else g.grantee.lower() == read.reader.lower()
    if g.scope is Scope.RECORD:
        covers = covers and g.record_id == read.record_id and grantee
    elif g.scope is Scope.SUBJECT_CATEGORY:
        covers = covers and g.subject == rec.subject and g.category == rec.category and grantee
    else:
        covers = covers and g.category == rec.category
    if not covers:
        return Decision.WRONG_GRANT
    if g.purpose != read.purpose:
        return Decision.PURPOSE_MISMATCH
    if read.fields == 0 or read.fields & ~g.fields:
        return Decision.FIELDS_NOT_COVERED
    if g.revoked:
        return Decision.REVOKED
    if chain.now >= g.expires_at:
        return Decision.EXPIRED
    if g.assignment and not chain.in_force(chain.grant_assignment):
        return Decision.POST_ENDED
    if chain.requires_consent:
        if chain.consent is ConsentState.NONE:
            return Decision.CONSENT_MISSING
        if chain.consent is ConsentState.REFUSED:
            return Decision.CONSENT_REFUSED
    return Decision.GRANTED


def _emergency(read: ReadAsked, chain: ChainFacts) -> Decision:
    """``EmergencyAccess.checkEmergency``."""
    e = chain.emergency
    if (
        e is None
        or e.reader.lower() != read.reader.lower()
        or e.record_id != read.record_id
        or read.fields == 0
        or read.fields & ~e.fields
    ):
        return Decision.EMERGENCY_NOT_COVERED
    if chain.reader_roles & Role.EMERGENCY == 0:
        return Decision.EMERGENCY_NOT_COVERED
    if e.reviewed and not e.justified:
        return Decision.EMERGENCY_UNJUSTIFIED
    if e.purpose != read.purpose:
        return Decision.PURPOSE_MISMATCH
    if chain.now >= e.declared_at + EMERGENCY_WINDOW:
        return Decision.EXPIRED
    if chain.record is None or not chain.record.active:
        return Decision.RECORD_ERASED
    return Decision.GRANTED
