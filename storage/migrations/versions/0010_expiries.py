"""expiries: what runs saw will expire, one row per integration, kind and subject

Revision ID: 0010_expiries
Revises: 0009_quota
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_expiries"
down_revision = "0009_quota"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expiries",
        sa.Column("integration", sa.String(200), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("subject", sa.String(200), primary_key=True),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.Column("lifetime_ms", sa.BigInteger(), nullable=True),
        sa.Column("longest_lifetime_ms", sa.BigInteger(), nullable=True),
        sa.Column("first_seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger(), nullable=False),
        sa.Column("previous_expires_ms", sa.BigInteger(), nullable=True),
        sa.Column("warned_ms", sa.BigInteger(), nullable=True),
        sa.Column("warned_for_ms", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("expiries")
