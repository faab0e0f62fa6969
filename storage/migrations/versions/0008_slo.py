"""slo: burn-rate alert state per SLO target and its severity changes

Revision ID: 0008_slo
Revises: 0007_inbound
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_slo"
down_revision = "0007_inbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slo_states",
        sa.Column("target", sa.String(401), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("since_ms", sa.BigInteger(), nullable=True),
        sa.Column("lower_since_ms", sa.BigInteger(), nullable=True),
        sa.Column("notified", sa.String(16), nullable=True),
        sa.Column("notified_ms", sa.BigInteger(), nullable=True),
        sa.Column("page_notice_ms", sa.BigInteger(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )
    op.create_table(
        "slo_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("target", sa.String(401), nullable=False),
        sa.Column("from_severity", sa.String(16), nullable=False),
        sa.Column("to_severity", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_slo_events_target_at", "slo_events", ["target", "at_ms"])


def downgrade() -> None:
    op.drop_index("ix_slo_events_target_at", table_name="slo_events")
    op.drop_table("slo_events")
    op.drop_table("slo_states")
