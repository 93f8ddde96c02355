"""Sealed reads: the seal an access event was written under, and the notices held back by seals.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("access_events", sa.Column("seal_id", sa.BigInteger, nullable=False, server_default="0"))
    op.create_index(
        "ix_access_events_sealed",
        "access_events",
        ["body", "subject_id", "seal_id"],
        postgresql_where=sa.text("seal_id > 0"),
        sqlite_where=sa.text("seal_id > 0"),
    )
    op.create_table(
        "notices_held",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("seal_id", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_notices_held_seal", "notices_held", ["body", "seal_id"])


def downgrade() -> None:
    op.drop_index("ix_notices_held_seal", table_name="notices_held")
    op.drop_table("notices_held")
    op.drop_index("ix_access_events_sealed", table_name="access_events")
    op.drop_column("access_events", "seal_id")
