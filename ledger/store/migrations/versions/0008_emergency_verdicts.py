"""Emergency declarations in the chain index carry their purpose and the block of their review, so the
audit can refuse a read under another purpose or after an unjustified verdict.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ix_emergencies") as t:
        t.add_column(sa.Column("purpose", sa.String(66), nullable=False, server_default=""))
        t.add_column(sa.Column("reviewed_block", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ix_emergencies") as t:
        t.drop_column("reviewed_block")
        t.drop_column("purpose")
