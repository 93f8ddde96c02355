"""Free texts kept encrypted at the custodian's node, and the members' directory.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "free_texts",
        sa.Column("text_hash", sa.String(66), primary_key=True),
        sa.Column("body", sa.String(66), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("author", sa.String(42), nullable=False),
        sa.Column("kek_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary, nullable=False),
        sa.Column("ciphertext", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "member_directory",
        sa.Column("account", sa.String(42), primary_key=True),
        sa.Column("body", sa.String(31), nullable=False, index=True),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("post", sa.String(100), nullable=True),
        sa.Column("updated_by", sa.String(42), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Residents' trails are read newest first, page by page.
    op.create_index("ix_access_events_subject_seq", "access_events", ["body", "subject_id", "seq"])


def downgrade() -> None:
    op.drop_index("ix_access_events_subject_seq", "access_events")
    op.drop_table("member_directory")
    op.drop_table("free_texts")
