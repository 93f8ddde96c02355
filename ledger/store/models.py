"""Tables of the record store, split by what they hold.

* ``records`` and ``record_versions`` describe records; only these back response models.
* ``record_keys`` holds wrapped data keys and nothing else, so no response model can
  carry key material by accident (``RecordPublic`` and ``VersionPublic`` have no such field).
* Field values and their salts exist only inside the encrypted payload.
* ``anchor_outbox`` is the durable list of on-chain actions still to send.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Enum, Index, LargeBinary, TypeDecorator, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timestamp read back timezone-aware (UTC) from every database: SQLite keeps no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return value if value is None or value.tzinfo else value.replace(tzinfo=dt.UTC)


class RecordStatusName(StrEnum):
    ACTIVE = "active"
    ERASED = "erased"


class AnchorState(StrEnum):
    PENDING = "pending"
    ANCHORED = "anchored"
    FAILED = "failed"


class OutboxAction(StrEnum):
    REGISTER = "register"
    UPDATE = "update"
    ERASE = "erase"


def _enum(cls: type[StrEnum]) -> Enum:
    """Stored as the lower-case value in a VARCHAR(16), readable in SQL and portable."""
    return Enum(cls, values_callable=lambda e: [m.value for m in e], native_enum=False, length=16, validate_strings=True)


# ---------------------------------------------------------------------------- records


class RecordBase(SQLModel):
    record_id: str = Field(primary_key=True, max_length=66, description="0x-prefixed 32-byte record id")
    subject_id: str = Field(index=True, max_length=66, description="HMAC subject id, as on-chain")
    category: str = Field(max_length=31)
    version: int = Field(description="Latest version (1 for a new record)")
    status: RecordStatusName = Field(default=RecordStatusName.ACTIVE, sa_type=_enum(RecordStatusName))


class Record(RecordBase, table=True):
    __tablename__ = "records"
    body: str = Field(max_length=66, description="Custodian body id (bytes32 hex)")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class RecordPublic(RecordBase):
    created_at: dt.datetime
    updated_at: dt.datetime


class VersionBase(SQLModel):
    record_id: str = Field(primary_key=True, foreign_key="records.record_id", max_length=66)
    version: int = Field(primary_key=True)
    commitment: str = Field(max_length=66, description="Merkle root, as on-chain")
    anchor_state: AnchorState = Field(default=AnchorState.PENDING, sa_type=_enum(AnchorState))
    anchor_tx: str | None = Field(default=None, max_length=66)
    anchor_block: int | None = None


class RecordVersion(VersionBase, table=True):
    __tablename__ = "record_versions"
    ciphertext: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: dt.datetime = Field(default_factory=utcnow)


class VersionPublic(VersionBase):
    created_at: dt.datetime


class RecordKey(SQLModel, table=True):
    """A version's data key, wrapped by the body's KEK; deleted on erasure."""

    __tablename__ = "record_keys"
    record_id: str = Field(primary_key=True, max_length=66)
    version: int = Field(primary_key=True)
    kek_id: str = Field(max_length=64)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


# ----------------------------------------------------------------------------- outbox


class OutboxEntry(SQLModel, table=True):
    """One on-chain action, written in the same transaction as the rows it anchors."""

    __tablename__ = "anchor_outbox"
    __table_args__ = (UniqueConstraint("record_id", "version", "action", name="uq_outbox_action"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: str = Field(index=True, max_length=66)
    version: int
    action: OutboxAction = Field(sa_type=_enum(OutboxAction))
    actor: str = Field(max_length=42, description="Account that signs the action")
    state: AnchorState = Field(default=AnchorState.PENDING, index=True, sa_type=_enum(AnchorState))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    tx_hash: str | None = Field(default=None, max_length=66)
    created_at: dt.datetime = Field(default_factory=utcnow)
    done_at: dt.datetime | None = None


# ---------------------------------------------------------------------------- sign-in


class SignInNonce(SQLModel, table=True):
    """A Sign-In with Ethereum nonce this node issued; accepted once, before it expires."""

    __tablename__ = "signin_nonces"
    nonce: str = Field(primary_key=True, max_length=64)
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


# ---------------------------------------------------------------------- access trail


class AccessEventBase(SQLModel):
    seq: int = Field(primary_key=True, description="Sequence number, gapless per custodian body")
    reader: str = Field(max_length=42)
    reader_body: str = Field(max_length=66)
    record_id: str = Field(max_length=66)
    version: int
    subject_id: str = Field(index=True, max_length=66)
    category: str = Field(max_length=31)
    fields: str = Field(max_length=4000, description="JSON list of the field names read, sorted")
    purpose: str = Field(max_length=31)
    grant_id: int = Field(sa_type=BigInteger, description="The grant read under; 0 for the own body or an emergency read")
    emergency_id: int = Field(sa_type=BigInteger, description="The emergency declaration; 0 for a normal read")
    subject_prev: int = Field(
        default=0,
        description="Sequence number of the subject's previous event at this "
        "body (0 for the first): a subject's events form a chain",
    )
    block: int = Field(default=0, sa_type=BigInteger, description="The chain block at which the access was checked")
    at: dt.datetime = Field(sa_type=UtcDateTime)
    seal_id: int = Field(
        default=0,
        sa_type=BigInteger,
        description="The seal (Seals) in force over its grant or emergency when it was read (0: none): hidden "
        "from the resident until the seal ends; its subject_prev links the subject's events under that seal",
    )


class AccessEvent(AccessEventBase, table=True):
    """One read, written before its answer leaves the node; never updated or deleted."""

    __tablename__ = "access_events"
    __table_args__ = (
        UniqueConstraint("body", "request_digest", name="uq_access_event_request"),
        # a resident's trail, newest first, page by page
        Index("ix_access_events_subject_seq", "body", "subject_id", "seq"),
        Index("ix_access_events_body_seq", "body", "seq"),
        Index("ix_access_events_body_at", "body", "at"),
        # sealed reads only (few): a resident's count leaves out those under seals in force without a heap visit
        Index(
            "ix_access_events_sealed",
            "body",
            "subject_id",
            "seal_id",
            postgresql_where=text("seal_id > 0"),
            sqlite_where=text("seal_id > 0"),
        ),
    )
    body: str = Field(primary_key=True, max_length=66, description="Custodian body id (bytes32 hex)")
    request: str = Field(max_length=8000, description="The reader's signed read request (EIP-712 message, JSON)")
    signature: str = Field(max_length=132)
    request_digest: str = Field(max_length=66, description="EIP-712 digest of the request: a replay is refused")
    event_hash: str = Field(max_length=66)


class TrailAnchor(SQLModel, table=True):
    """One anchoring transaction of the trail: a batch (Merkle root of events ``first_seq``..``last_seq``)
    or one event (``first_seq == last_seq``, root = the event hash).

    Written as ``prepared`` before its transaction is sent, so that a restart re-sends the same
    range and root; ``anchored`` once the chain holds it."""

    __tablename__ = "trail_anchors"
    __table_args__ = (Index("ix_trail_anchors_body_last", "body", "last_seq"),)
    body: str = Field(primary_key=True, max_length=66)
    first_seq: int = Field(primary_key=True)
    last_seq: int
    root: str = Field(max_length=66)
    kind: str = Field(max_length=8, description="batch or event")
    state: str = Field(max_length=16, description="prepared or anchored")
    tx_hash: str | None = Field(default=None, max_length=66)
    block: int | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow)
    anchored_at: dt.datetime | None = None


class TrailHead(SQLModel, table=True):
    """The last sequence number taken in a body's trail. Writers take numbers with one UPDATE of this row,
    which holds its lock until they commit: numbers stay gapless across processes, and nobody retries."""

    __tablename__ = "trail_heads"
    body: str = Field(primary_key=True, max_length=66)
    last_seq: int = Field(sa_type=BigInteger)


class AccessCode(SQLModel, table=True):
    """A resident's access code to their trail, issued by their committee; only its hash is kept."""

    __tablename__ = "access_codes"
    code_hash: str = Field(primary_key=True, max_length=66)
    body: str = Field(max_length=66)
    subject_id: str = Field(index=True, max_length=66)
    issued_by: str = Field(max_length=42)
    issued_at: dt.datetime = Field(default_factory=utcnow)
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None


# ------------------------------------------------------------------- free texts, directory


class FreeText(SQLModel, table=True):
    """A justification, reason, evidence or outcome whose salted hash is on-chain, kept encrypted
    (AES-256-GCM, its own data key wrapped by the body's KEK) with its salt, by that hash."""

    __tablename__ = "free_texts"
    text_hash: str = Field(primary_key=True, max_length=66, description="keccak256(salt ‖ text), as on-chain")
    body: str = Field(max_length=66)
    kind: str = Field(max_length=16, description="justification, reason, evidence or outcome")
    author: str = Field(max_length=42, description="Account that wrote (and signed the hash of) the text")
    kek_id: str = Field(max_length=64)
    wrapped_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


class DirectoryEntry(SQLModel, table=True):
    """Who an account is, as its body's admin described them: a name or a post. Off-chain only:
    names are personal data. Shown to residents instead of a bare account."""

    __tablename__ = "member_directory"
    account: str = Field(primary_key=True, max_length=42, description="Checksummed account")
    body: str = Field(index=True, max_length=31, description="Body code")
    name: str | None = Field(default=None, max_length=100)
    post: str | None = Field(default=None, max_length=100)
    updated_by: str = Field(max_length=42)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# ------------------------------------------------------------------ node-to-node exchange


class NodeNonce(SQLModel, table=True):
    """The nonce of a node-to-node request this node accepted: the same signed request is refused again."""

    __tablename__ = "node_nonces"
    nonce: str = Field(primary_key=True, max_length=66)
    from_body: str = Field(max_length=66, description="The calling node's body (bytes32 hex)")
    seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UtcDateTime, index=True)


class FetchedRead(SQLModel, table=True):
    """A read this node forwarded for one of its members to the custodian's node, with the custodian's
    signed receipt: the consumer-side log (the custodian's trail holds the event)."""

    __tablename__ = "fetched_reads"
    request_digest: str = Field(primary_key=True, max_length=66, description="The reader's signed request's digest")
    reader: str = Field(max_length=42, index=True)
    custodian: str = Field(max_length=66, description="The custodian body (bytes32 hex)")
    record_id: str = Field(max_length=66)
    fields: str = Field(max_length=4000, description="JSON list of the fields read")
    purpose: str = Field(max_length=31)
    seq: int = Field(description="The access event's sequence number at the custodian")
    event_hash: str = Field(max_length=66)
    receipt: str = Field(max_length=4000, description="The custodian's signed receipt, JSON")
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


# --------------------------------------------------------------------------- watchdog


class WatchedEvent(SQLModel, table=True):
    """At the auditor body's node: another node's access event as the watchdog reads it (who, whom, when,
    under what; no fields, purpose or request), mirrored from that node's ``/node/watchdog/events``."""

    __tablename__ = "watchdog_events"
    __table_args__ = (Index("ix_watchdog_events_at", "at"),)
    body: str = Field(primary_key=True, max_length=66, description="The custodian body whose trail it is on")
    seq: int = Field(primary_key=True)
    reader: str = Field(max_length=42)
    reader_body: str = Field(max_length=66)
    subject_id: str = Field(max_length=66)
    grant_id: int = Field(sa_type=BigInteger)
    emergency_id: int = Field(sa_type=BigInteger)
    block: int = Field(sa_type=BigInteger)
    at: dt.datetime = Field(sa_type=UtcDateTime)


# --------------------------------------------------------------------------- notices to residents


class NotifyCursor(SQLModel, table=True):
    """The last access event of a body's trail turned into notices: the outbox follows the trail, which is
    durable before any read is answered, so a notice is never lost to a crash between the two."""

    __tablename__ = "notify_cursor"
    body: str = Field(primary_key=True, max_length=66)
    last_seq: int = Field(sa_type=BigInteger)


class NoticeHeld(SQLModel, table=True):
    """A read the outbox reached while its seal was in force: told of, as a notice of its own, once the seal
    ends (its release, or its end date), never before."""

    __tablename__ = "notices_held"
    __table_args__ = (Index("ix_notices_held_seal", "body", "seal_id"),)
    body: str = Field(primary_key=True, max_length=66)
    seq: int = Field(primary_key=True, sa_type=BigInteger)
    seal_id: int = Field(sa_type=BigInteger)


class NoticeRead(SQLModel, table=True):
    """Which reads a notice tells of: one for an instant or late notice, each of its window's for a digest."""

    __tablename__ = "notice_reads"
    notice_id: str = Field(primary_key=True, max_length=66)
    seq: int = Field(primary_key=True, sa_type=BigInteger)


class Notice(SQLModel, table=True):
    """One notice to a resident about reads of their data at this body: ``instant`` (one read of a sensitive
    category) or ``digest`` (every read of a window, sent when it ends). Its id is the gateway's
    idempotency key: a notice re-sent after a crash is the same notice."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "state", "next_attempt_at"), Index("ix_notices_subject", "body", "subject_id"))
    id: str = Field(primary_key=True, max_length=66)
    body: str = Field(max_length=66)
    subject_id: str = Field(max_length=66)
    kind: str = Field(max_length=8, description="instant or digest")
    seq: int = Field(default=0, sa_type=BigInteger, description="The read of an instant notice")
    window_start: dt.datetime = Field(sa_type=UtcDateTime, description="A digest's reads are of [start, end)")
    window_end: dt.datetime = Field(sa_type=UtcDateTime)
    state: str = Field(max_length=12, description="pending or delivered")
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    delivered_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    receipt: str | None = Field(default=None, max_length=1000, description="The gateway's answer: status and body")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)


from ledger.index import models as index_models  # noqa: E402,F401  (the indexer's tables, on the same metadata)
