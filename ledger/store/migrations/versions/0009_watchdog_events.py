"""The auditor's node mirrors every node's access events for the watchdog (who, whom, when, under what).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchdog_events",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("reader", sa.String(42), nullable=False),
        sa.Column("reader_body", sa.String(66), nullable=False),
        sa.Column("subject_id", sa.String(66), nullable=False),
        sa.Column("grant_id", sa.BigInteger, nullable=False),
        sa.Column("emergency_id", sa.BigInteger, nullable=False),
        sa.Column("block", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_watchdog_events_at", "watchdog_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_watchdog_events_at", "watchdog_events")
    op.drop_table("watchdog_events")
