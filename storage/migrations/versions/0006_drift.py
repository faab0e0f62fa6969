"""drift: learned response shapes (`drift_baselines`) and their history (`drift_events`)

Revision ID: 0006_drift
Revises: 0005_channels
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_drift"
down_revision = "0005_channels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drift_baselines",
        sa.Column("integration", sa.String(200), nullable=False),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("schema", sa.JSON(), nullable=True),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("media_types", sa.JSON(), nullable=False),
        sa.Column("enums", sa.JSON(), nullable=False),
        sa.Column("pending", sa.JSON(), nullable=True),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("frozen_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("integration", "probe", "step"),
    )
    op.create_index("ix_drift_baselines_updated", "drift_baselines", ["updated_ms"])
    op.create_table(
        "drift_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("integration", sa.String(200), nullable=False),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("step", sa.String(200), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("level", sa.String(16), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("example", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_drift_events_probe_at", "drift_events",
                    ["integration", "probe", "at_ms"])


def downgrade() -> None:
    op.drop_index("ix_drift_events_probe_at", table_name="drift_events")
    op.drop_table("drift_events")
    op.drop_index("ix_drift_baselines_updated", table_name="drift_baselines")
    op.drop_table("drift_baselines")
