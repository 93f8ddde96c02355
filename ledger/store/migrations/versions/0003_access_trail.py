"""Access events (the read trail) and residents' access codes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_events",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("reader", sa.String(42), nullable=False),
        sa.Column("reader_body", sa.String(66), nullable=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("subject_id", sa.String(66), nullable=False),
        sa.Column("category", sa.String(31), nullable=False),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("purpose", sa.String(31), nullable=False),
        sa.Column("grant_id", sa.BigInteger, nullable=False),
        sa.Column("emergency_id", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request", sa.String(8000), nullable=False),
        sa.Column("signature", sa.String(132), nullable=False),
        sa.Column("request_digest", sa.String(66), nullable=False),
        sa.Column("event_hash", sa.String(66), nullable=False),
        sa.UniqueConstraint("body", "request_digest", name="uq_access_event_request"),
    )
    op.create_index("ix_access_events_subject_id", "access_events", ["subject_id"])
    op.create_table(
        "access_codes",
        sa.Column("code_hash", sa.String(66), primary_key=True),
        sa.Column("body", sa.String(66), nullable=False),
        sa.Column("subject_id", sa.String(66), nullable=False),
        sa.Column("issued_by", sa.String(42), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_access_codes_subject_id", "access_codes", ["subject_id"])


def downgrade() -> None:
    op.drop_table("access_codes")
    op.drop_table("access_events")
