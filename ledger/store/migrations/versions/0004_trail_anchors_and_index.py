"""Trail anchoring (prepared and anchored batches), subjects' event chains, the chain index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_events") as batch:
        batch.add_column(sa.Column("subject_prev", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("block", sa.BigInteger, nullable=False, server_default="0"))
    # Events written before this revision: link each to its subject's previous event, and
    # re-hash them (the hash covers the link).
    op.execute(
        "UPDATE access_events SET subject_prev = COALESCE((SELECT MAX(p.seq) FROM access_events p "
        "WHERE p.body = access_events.body AND p.subject_id = access_events.subject_id "
        "AND p.seq < access_events.seq), 0)"
    )
    _rehash()
    op.create_table(
        "trail_anchors",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("first_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("block", sa.Integer, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anchored_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "chain_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
    )
    op.create_table(
        "chain_logs",
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract", sa.String(32), nullable=False),
        sa.Column("event", sa.String(48), nullable=False),
        sa.Column("args", sa.String(8000), nullable=False),
    )
    op.create_index("ix_chain_logs_event", "chain_logs", ["event"])
    op.create_table(
        "ix_bodies",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("parent", sa.String(66), nullable=False),
        sa.Column("emergency", sa.Boolean, nullable=False),
        sa.Column("admitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "ix_members",
        sa.Column("account", sa.String(42), primary_key=True),
        sa.Column("body", sa.String(66), nullable=False),
        sa.Column("roles", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_block", sa.BigInteger, nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_block", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_ix_members_body", "ix_members", ["body"])
    op.create_table(
        "ix_requests",
        sa.Column("request_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("requester", sa.String(42), nullable=False),
        sa.Column("custodian", sa.String(66), nullable=False),
        sa.Column("scope", sa.Integer, nullable=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("subject", sa.String(66), nullable=False),
        sa.Column("category", sa.String(66), nullable=False),
        sa.Column("field_mask", sa.String(66), nullable=False),
        sa.Column("purpose", sa.String(66), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("grant_id", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_ix_requests_requester", "ix_requests", ["requester"])
    op.create_index("ix_ix_requests_custodian", "ix_requests", ["custodian"])
    op.create_table(
        "ix_grants",
        sa.Column("grant_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("request_id", sa.BigInteger, nullable=False),
        sa.Column("custodian", sa.String(66), nullable=False),
        sa.Column("grantee", sa.String(42), nullable=False),
        sa.Column("grantee_body", sa.String(66), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_block", sa.BigInteger, nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_block", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_ix_grants_custodian", "ix_grants", ["custodian"])
    op.create_index("ix_ix_grants_grantee_body", "ix_grants", ["grantee_body"])
    op.create_table(
        "ix_emergencies",
        sa.Column("emergency_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("custodian", sa.String(66), nullable=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("reader", sa.String(42), nullable=False),
        sa.Column("reader_body", sa.String(66), nullable=False),
        sa.Column("field_mask", sa.String(66), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("declared_block", sa.BigInteger, nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("justified", sa.Boolean, nullable=True),
    )
    op.create_index("ix_ix_emergencies_custodian", "ix_emergencies", ["custodian"])
    op.create_table(
        "ix_anchors",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("first_seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def _rehash() -> None:
    """Every event's hash over its content as it now stands (the table as reflected here: later revisions add
    columns the model has, which this one must not select)."""
    import datetime as dt
    from types import SimpleNamespace

    from ledger.store.trail import event_hash

    conn = op.get_bind()
    table = sa.Table("access_events", sa.MetaData(), autoload_with=conn)
    for row in conn.execute(table.select()).mappings().all():
        at = row["at"] if isinstance(row["at"], dt.datetime) else dt.datetime.fromisoformat(str(row["at"]))
        event = SimpleNamespace(**{**row, "at": at if at.tzinfo else at.replace(tzinfo=dt.UTC)}, seal_id=0)
        conn.execute(
            table.update().where(table.c.body == row["body"], table.c.seq == row["seq"]).values(event_hash=event_hash(event))  # type: ignore[arg-type]
        )


def downgrade() -> None:
    for table in (
        "ix_anchors",
        "ix_emergencies",
        "ix_grants",
        "ix_requests",
        "ix_members",
        "ix_bodies",
        "chain_logs",
        "chain_cursor",
        "trail_anchors",
    ):
        op.drop_table(table)
    with op.batch_alter_table("access_events") as batch:
        batch.drop_column("block")
        batch.drop_column("subject_prev")
