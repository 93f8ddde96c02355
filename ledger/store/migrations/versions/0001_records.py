"""Records, versions, wrapped data keys and the anchoring outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("record_id", sa.String(66), primary_key=True),
        sa.Column("subject_id", sa.String(66), nullable=False),
        sa.Column("category", sa.String(31), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("body", sa.String(66), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_records_subject_id", "records", ["subject_id"])
    op.create_table(
        "record_versions",
        sa.Column("record_id", sa.String(66), sa.ForeignKey("records.record_id"), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("commitment", sa.String(66), nullable=False),
        sa.Column("anchor_state", sa.String(16), nullable=False),
        sa.Column("anchor_tx", sa.String(66), nullable=True),
        sa.Column("anchor_block", sa.Integer(), nullable=True),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "record_keys",
        sa.Column("record_id", sa.String(66), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "anchor_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(42), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("tx_hash", sa.String(66), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("record_id", "version", "action", name="uq_outbox_action"),
    )
    op.create_index("ix_anchor_outbox_record_id", "anchor_outbox", ["record_id"])
    op.create_index("ix_anchor_outbox_state", "anchor_outbox", ["state"])


def downgrade() -> None:
    op.drop_table("anchor_outbox")
    op.drop_table("record_keys")
    op.drop_table("record_versions")
    op.drop_table("records")
