"""Typed wrapper of ``AccessRegistry``: requests, grants, consent, emergency reads."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum

from web3.types import TxReceipt

from ledger.chain.client import Actor, Chain, ContractHandle
from ledger.errors import AccessDenied, ConsentMissing, GrantExpired, GrantRevoked

ZERO = b"\0" * 32


class Scope(IntEnum):
    RECORD = 0
    SUBJECT_CATEGORY = 1
    AGREEMENT = 2


class RequestStatus(IntEnum):
    NONE = 0
    PENDING = 1
    APPROVED = 2
    DENIED = 3
    CANCELLED = 4


class ConsentState(IntEnum):
    NONE = 0
    GIVEN = 1
    REFUSED = 2


class Decision(IntEnum):
    """``IAccessRegistry.Decision``: why a read is allowed or refused."""

    GRANTED = 0
    OWN_BODY = 1
    NOT_MEMBER = 2
    UNKNOWN_RECORD = 3
    RECORD_ERASED = 4
    NO_GRANT = 5
    WRONG_GRANT = 6
    PURPOSE_MISMATCH = 7
    FIELDS_NOT_COVERED = 8
    REVOKED = 9
    EXPIRED = 10
    CONSENT_MISSING = 11
    CONSENT_REFUSED = 12
    EMERGENCY_NOT_COVERED = 13
    EMERGENCY_UNJUSTIFIED = 14
    POST_ENDED = 15
    OUTSIDE_GRID = 16

    @property
    def allowed(self) -> bool:
        return self in (Decision.GRANTED, Decision.OWN_BODY)

    def raise_if_denied(self) -> None:
        """Raises the domain error for a refusal (``GrantExpired``, ``GrantRevoked``, ...)."""
        if self.allowed:
            return
        cls = {Decision.EXPIRED: GrantExpired, Decision.REVOKED: GrantRevoked, Decision.CONSENT_MISSING: ConsentMissing}.get(
            self, AccessDenied
        )
        raise cls(f"access refused: {REFUSALS.get(self, self.name.lower())}", decision=self.code)

    @property
    def code(self) -> str:
        """The stable code of a refusal, the same in errors, metrics and documentation."""
        return {Decision.REVOKED: "grant_revoked", Decision.EXPIRED: "grant_expired"}.get(self, self.name.lower())


#: Why a read is refused, in the reader's terms.
REFUSALS = {
    Decision.NOT_MEMBER: "you are not a member of a body of the consortium",
    Decision.UNKNOWN_RECORD: "there is no such record on the chain",
    Decision.RECORD_ERASED: "the record was erased",
    Decision.NO_GRANT: "you hold no grant for this record and purpose; request access first",
    Decision.WRONG_GRANT: "the grant named is for another person, record or body",
    Decision.PURPOSE_MISMATCH: "the grant, or the emergency declaration, is for another purpose",
    Decision.FIELDS_NOT_COVERED: "the grant does not cover every field asked for",
    Decision.REVOKED: "the custodian revoked the grant",
    Decision.EXPIRED: "the grant has expired (or the emergency declaration's hour has passed)",
    Decision.CONSENT_MISSING: "the resident has not given consent yet",
    Decision.CONSENT_REFUSED: "the resident refused consent",
    Decision.EMERGENCY_NOT_COVERED: "the emergency declaration does not cover this read (another reader, record or "
    "fields, or the reader no longer holds the emergency role)",
    Decision.EMERGENCY_UNJUSTIFIED: "the custodian reviewed the emergency declaration as unjustified: it serves no "
    "further read",
    Decision.POST_ENDED: "the post you held when you asked for this grant has ended (you moved or left it); "
    "ask again from your present post",
    Decision.OUTSIDE_GRID: "the resident is not in a grid your post covers; only their own grid's worker or the "
    "committee's head reads them",
}


@dataclass(frozen=True)
class RequestInput:
    scope: Scope
    fields: int
    purpose: bytes
    justification_hash: bytes
    record_id: bytes = ZERO
    custodian: bytes = ZERO
    subject: bytes = ZERO
    category: bytes = ZERO
    post: bytes = ZERO  # for whoever holds this post at the requester's body, not the requester

    def as_tuple(self) -> tuple[object, ...]:
        return (
            int(self.scope),
            self.record_id,
            self.custodian,
            self.subject,
            self.category,
            self.fields,
            self.purpose,
            self.justification_hash,
            self.post,
        )


@dataclass(frozen=True)
class Request:
    id: int
    scope: Scope
    status: RequestStatus
    requester: str
    requester_body: bytes
    custodian: bytes
    record_id: bytes
    subject: bytes
    category: bytes
    fields: int
    purpose: bytes
    justification_hash: bytes
    grant_id: int
    post: bytes = ZERO
    assignment: int = 0


@dataclass(frozen=True)
class Grant:
    id: int
    scope: Scope
    revoked: bool
    expires_at: int
    grantee: str
    grantee_body: bytes
    custodian: bytes
    record_id: bytes
    subject: bytes
    category: bytes
    fields: int
    purpose: bytes
    request_id: int
    post: bytes = ZERO
    assignment: int = 0


@dataclass(frozen=True)
class Emergency:
    id: int
    reader: str
    declared_at: int
    reviewed: bool
    justified: bool
    reader_body: bytes
    record_id: bytes
    custodian: bytes
    fields: int
    purpose: bytes
    reason_hash: bytes
    outcome_hash: bytes


class AccessRegistry:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.handle: ContractHandle = chain.contract("AccessRegistry")
        self._scopes: dict[int, Scope] = {}  # a grant's scope never changes: asked once

    # views
    def is_purpose(self, purpose: bytes) -> bool:
        return bool(self.handle.view("isPurpose", purpose))

    def purposes(self, *, from_block: int = 0) -> list[bytes]:
        """Every purpose code ever defined (retired ones too: ask ``is_purpose``), in order of definition."""
        logs = self.handle.logs("PurposeDefined", from_block=from_block)
        return list(dict.fromkeys(bytes(e["purpose"]) for e in logs))

    def get_request(self, request_id: int) -> Request:
        v = self.handle.view("getRequest", request_id)
        return Request(
            request_id,
            Scope(v[0]),
            RequestStatus(v[1]),
            v[2],
            bytes(v[3]),
            bytes(v[4]),
            bytes(v[5]),
            bytes(v[6]),
            bytes(v[7]),
            v[8],
            bytes(v[9]),
            bytes(v[10]),
            v[11],
            bytes(v[12]),
            v[13],
        )

    def get_grant(self, grant_id: int) -> Grant:
        v = self.handle.view("getGrant", grant_id)
        return Grant(
            grant_id,
            Scope(v[0]),
            v[1],
            v[2],
            v[3],
            bytes(v[4]),
            bytes(v[5]),
            bytes(v[6]),
            bytes(v[7]),
            bytes(v[8]),
            v[9],
            bytes(v[10]),
            v[11],
            bytes(v[12]),
            v[13],
        )

    def standing(self, grant_ids: Collection[int]) -> set[int]:
        """Which of ``grant_ids`` are standing agreements (a body's reads of a category, not one resident's)."""
        for grant_id in sorted(set(grant_ids) - set(self._scopes)):
            self._scopes[grant_id] = Scope(self.handle.view("getGrant", grant_id)[0])
        return {g for g in grant_ids if self._scopes[g] is Scope.AGREEMENT}

    def get_emergency(self, emergency_id: int) -> Emergency:
        v = self.handle.view("getEmergency", emergency_id)
        return Emergency(
            emergency_id,
            v[0],
            v[1],
            v[2],
            v[3],
            bytes(v[4]),
            bytes(v[5]),
            bytes(v[6]),
            v[7],
            bytes(v[8]),
            bytes(v[9]),
            bytes(v[10]),
        )

    def consent_of(self, grant_id: int, subject: bytes) -> ConsentState:
        return ConsentState(self.handle.view("consentOf", grant_id, subject))

    def unreviewed_emergencies(self, custodian: bytes) -> int:
        return int(self.handle.view("unreviewedEmergencies", custodian))

    def check_emergency(
        self, emergency_id: int, reader: str, record_id: bytes, fields: int, purpose: bytes, *, block: int | str = "latest"
    ) -> Decision:
        return Decision(self.handle.view("checkEmergency", emergency_id, reader, record_id, fields, purpose, block=block))

    def check_access(
        self, reader: str, record_id: bytes, fields: int, purpose: bytes, grant_id: int, *, block: int | str = "latest"
    ) -> Decision:
        return Decision(self.handle.view("checkAccess", reader, record_id, fields, purpose, grant_id, block=block))

    def find_grant(self, reader: str, record_id: bytes, fields: int, purpose: bytes) -> tuple[Decision, int]:
        d, g = self.handle.view("findGrant", reader, record_id, fields, purpose)
        return Decision(d), int(g)

    # actions
    def define_purpose(self, actor: Actor, purpose: bytes) -> TxReceipt:
        return actor.send(self.handle, "definePurpose", purpose)

    def retire_purpose(self, actor: Actor, purpose: bytes) -> TxReceipt:
        return actor.send(self.handle, "retirePurpose", purpose)

    def request_access(self, actor: Actor, request: RequestInput) -> int:
        r = actor.send(self.handle, "requestAccess", request.as_tuple())
        return int(self.handle.one_event(r, "AccessRequested")["requestId"])

    def approve(self, actor: Actor, request_id: int, expires_at: int) -> int:
        r = actor.send(self.handle, "approveRequest", request_id, expires_at)
        return int(self.handle.one_event(r, "GrantCreated")["grantId"])

    def deny(self, actor: Actor, request_id: int, reason_hash: bytes = ZERO) -> TxReceipt:
        return actor.send(self.handle, "denyRequest", request_id, reason_hash)

    def cancel(self, actor: Actor, request_id: int) -> TxReceipt:
        return actor.send(self.handle, "cancelRequest", request_id)

    def revoke(self, actor: Actor, grant_id: int) -> bool:
        r = actor.send(self.handle, "revokeGrant", grant_id)
        return bool(self.handle.events(r, "GrantRevoked"))

    def set_consent(self, actor: Actor, grant_id: int, subject: bytes, given: bool, evidence_hash: bytes = ZERO) -> bool:
        r = actor.send(self.handle, "setConsent", grant_id, subject, given, evidence_hash)
        return bool(self.handle.events(r, "ConsentRecorded"))

    def declare_emergency(self, actor: Actor, record_id: bytes, fields: int, purpose: bytes, reason_hash: bytes) -> int:
        r = actor.send(self.handle, "declareEmergency", record_id, fields, purpose, reason_hash)
        return int(self.handle.one_event(r, "EmergencyDeclared")["emergencyId"])

    def review_emergency(self, actor: Actor, emergency_id: int, justified: bool, outcome_hash: bytes = ZERO) -> TxReceipt:
        return actor.send(self.handle, "reviewEmergency", emergency_id, justified, outcome_hash)
