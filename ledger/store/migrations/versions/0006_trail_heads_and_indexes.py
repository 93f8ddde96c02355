"""A counter row per body's trail (sequence numbers taken by one locked UPDATE), and an index for
every trail query.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trail_heads",
        sa.Column("body", sa.String(66), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO trail_heads (body, last_seq) SELECT body, MAX(seq) FROM access_events GROUP BY body")
    # the next sequence number, a page of the trail, a range: by body and seq
    op.create_index("ix_access_events_body_seq", "access_events", ["body", "seq"])
    # reads per day since a date (the auditors' dashboard)
    op.create_index("ix_access_events_body_at", "access_events", ["body", "at"])
    # the anchors holding a page of events, found from the page's first sequence number
    op.create_index("ix_trail_anchors_body_last", "trail_anchors", ["body", "last_seq"])


def downgrade() -> None:
    op.drop_index("ix_trail_anchors_body_last", "trail_anchors")
    op.drop_index("ix_access_events_body_at", "access_events")
    op.drop_index("ix_access_events_body_seq", "access_events")
    op.drop_table("trail_heads")
