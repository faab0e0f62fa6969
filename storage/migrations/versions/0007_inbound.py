"""inbound_seen: the last authentic heartbeat or webhook per probe, kept across restarts

Revision ID: 0007_inbound
Revises: 0006_drift
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_inbound"
down_revision = "0006_drift"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_seen",
        sa.Column("probe_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["probe_id"], ["probes.id"]),
        sa.PrimaryKeyConstraint("probe_id"),
    )


def downgrade() -> None:
    op.drop_table("inbound_seen")
