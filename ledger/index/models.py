"""Tables of the chain indexer (:mod:`ledger.index.indexer`): the contracts' events, as SQL.

``chain_logs`` is the journal: one row per log, keyed by block and log index, so a log is
never counted twice. The other tables are projections of it, updated in the same database
transaction as the journal and the cursor. Block times are the chain's, in UTC.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel


class ChainCursor(SQLModel, table=True):
    """How far the indexer has read: the last block applied, and its hash (to notice a reorg)."""

    __tablename__ = "chain_cursor"
    name: str = Field(primary_key=True, max_length=32)
    block: int = Field(sa_type=BigInteger)
    block_hash: str = Field(max_length=66)


class ChainLog(SQLModel, table=True):
    __tablename__ = "chain_logs"
    block: int = Field(primary_key=True, sa_type=BigInteger)
    log_index: int = Field(primary_key=True)
    block_hash: str = Field(max_length=66)
    tx_hash: str = Field(max_length=66)
    at: dt.datetime
    contract: str = Field(max_length=32)
    event: str = Field(index=True, max_length=48)
    args: str = Field(max_length=8000, description="The event's arguments, JSON (bytes as 0x hex)")


class IxBody(SQLModel, table=True):
    __tablename__ = "ix_bodies"
    body: str = Field(primary_key=True, max_length=66)
    kind: int
    parent: str = Field(max_length=66)
    emergency: bool
    admitted_at: dt.datetime
    removed_at: dt.datetime | None = None


class IxMember(SQLModel, table=True):
    __tablename__ = "ix_members"
    account: str = Field(primary_key=True, max_length=42)
    body: str = Field(index=True, max_length=66)
    roles: int
    added_at: dt.datetime
    added_block: int = Field(sa_type=BigInteger)
    removed_at: dt.datetime | None = None
    removed_block: int | None = Field(default=None, sa_type=BigInteger)


class IxRequest(SQLModel, table=True):
    __tablename__ = "ix_requests"
    request_id: int = Field(primary_key=True, sa_type=BigInteger)
    requester: str = Field(index=True, max_length=42)
    custodian: str = Field(index=True, max_length=66)
    scope: int
    record_id: str = Field(max_length=66)
    subject: str = Field(max_length=66)
    category: str = Field(max_length=66)
    field_mask: str = Field(max_length=66, description="uint256, hex")
    purpose: str = Field(max_length=66)
    status: str = Field(max_length=16, description="pending, approved, denied or cancelled")
    grant_id: int = Field(default=0, sa_type=BigInteger)
    created_at: dt.datetime
    decided_at: dt.datetime | None = None


class IxGrant(SQLModel, table=True):
    __tablename__ = "ix_grants"
    grant_id: int = Field(primary_key=True, sa_type=BigInteger)
    request_id: int = Field(sa_type=BigInteger)
    custodian: str = Field(index=True, max_length=66)
    grantee: str = Field(max_length=42)
    grantee_body: str = Field(index=True, max_length=66)
    expires_at: int = Field(sa_type=BigInteger, description="Chain time, seconds")
    created_at: dt.datetime
    created_block: int = Field(sa_type=BigInteger)
    revoked_at: dt.datetime | None = None
    revoked_block: int | None = Field(default=None, sa_type=BigInteger)


class IxEmergency(SQLModel, table=True):
    __tablename__ = "ix_emergencies"
    emergency_id: int = Field(primary_key=True, sa_type=BigInteger)
    custodian: str = Field(index=True, max_length=66)
    record_id: str = Field(max_length=66)
    reader: str = Field(max_length=42)
    reader_body: str = Field(max_length=66)
    field_mask: str = Field(max_length=66)
    purpose: str = Field(default="", max_length=66, description="The purpose code reads under it must carry")
    declared_at: dt.datetime
    declared_block: int = Field(sa_type=BigInteger)
    reviewed_at: dt.datetime | None = None
    reviewed_block: int | None = Field(default=None, sa_type=BigInteger)
    justified: bool | None = None


class IxAnchor(SQLModel, table=True):
    """An anchor of some body's trail, as the chain holds it."""

    __tablename__ = "ix_anchors"
    body: str = Field(primary_key=True, max_length=66)
    first_seq: int = Field(primary_key=True, sa_type=BigInteger)
    last_seq: int = Field(sa_type=BigInteger)
    root: str = Field(max_length=66)
    kind: str = Field(max_length=8)
    tx_hash: str = Field(max_length=66)
    block: int = Field(sa_type=BigInteger)
    at: dt.datetime
