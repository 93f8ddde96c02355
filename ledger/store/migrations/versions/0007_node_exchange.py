"""Node-to-node exchange: nonces of accepted node requests, and the reads fetched from other bodies' nodes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_nonces",
        sa.Column("nonce", sa.String(66), primary_key=True),
        sa.Column("from_body", sa.String(66), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_node_nonces_seen_at", "node_nonces", ["seen_at"])
    op.create_table(
        "fetched_reads",
        sa.Column("request_digest", sa.String(66), primary_key=True),
        sa.Column("reader", sa.String(42), nullable=False),
        sa.Column("custodian", sa.String(66), nullable=False),
        sa.Column("record_id", sa.String(66), nullable=False),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("purpose", sa.String(31), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("event_hash", sa.String(66), nullable=False),
        sa.Column("receipt", sa.String(4000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fetched_reads_reader", "fetched_reads", ["reader"])


def downgrade() -> None:
    op.drop_index("ix_fetched_reads_reader", "fetched_reads")
    op.drop_table("fetched_reads")
    op.drop_index("ix_node_nonces_seen_at", "node_nonces")
    op.drop_table("node_nonces")
