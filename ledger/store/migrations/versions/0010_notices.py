"""The outbox of notices to residents, the reads each tells of, and how far it has followed the trail.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notify_cursor",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.String(66), primary_key=True),
        sa.Column("body", sa.String(66), nullable=False),
        sa.Column("subject_id", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.String(1000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notice_reads",
        sa.Column("notice_id", sa.String(66), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    op.create_index("ix_notices_due", "notices", ["state", "next_attempt_at"])
    op.create_index("ix_notices_subject", "notices", ["body", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_notices_subject", "notices")
    op.drop_index("ix_notices_due", "notices")
    op.drop_table("notice_reads")
    op.drop_table("notices")
    op.drop_table("notify_cursor")
