"""quota: the rate-limit policy name on run_steps

Revision ID: 0009_quota
Revises: 0008_slo
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_quota"
down_revision = "0008_slo"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_steps") as batch:
        batch.add_column(sa.Column("rl_policy", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_steps") as batch:
        batch.drop_column("rl_policy")
