"""The access rule, once: may this account read these fields of this record, for this purpose, now?

:func:`decide` is a pure function of what the chain held at one block (:class:`ChainFacts`) and
of what the read asked (:class:`ReadAsked`). It says what ``AccessRegistry.checkAccess`` and
``checkEmergency`` say, in the same order, with the same :class:`~ledger.chain.access.Decision`
codes (``no_grant``, ``grant_revoked``, ``consent_refused``, ``emergency_unjustified``, ...):

- the audit decides every access event with it, from the chain index at the event's block;
- a hypothesis state machine (``tests/contracts/test_access_model.py``) drives the contracts and
  asserts after every step that they and this function agree.

A node serving a read asks the contract itself (at the head it follows), so that what is enforced
is what the chain says; this copy exists to re-decide past reads without trusting the node.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.chain.access import ConsentState, Decision, Emergency, Grant, Scope
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
    """

    now: int
    reader_body: bytes
    reader_roles: int
    record: RecordFacts | None
    grant: Grant | None = None
    emergency: Emergency | None = None
    consent: ConsentState = ConsentState.NONE
    requires_consent: bool = False


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
        return Decision.OWN_BODY
    if read.grant_id == 0 or chain.grant is None:
        return Decision.NO_GRANT
    return evaluate_grant(read, chain, chain.grant, rec)


def evaluate_grant(read: ReadAsked, chain: ChainFacts, g: Grant, rec: RecordFacts) -> Decision:
    """``AccessRegistry._evaluate``: whether grant ``g`` covers the read, then whether it is in force."""
    covers = g.custodian == rec.custodian and g.grantee_body == chain.reader_body
    if g.scope is Scope.RECORD:
        covers = covers and g.record_id == read.record_id and g.grantee.lower() == read.reader.lower()
    elif g.scope is Scope.SUBJECT_CATEGORY:
        covers = (
            covers and g.subject == rec.subject and g.category == rec.category and g.grantee.lower() == read.reader.lower()
        )
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
