"""alert channels: `alert_notices.channel` and `alert_outbox.channel` (every existing row was
an email: `email`, the name the old `email:` block's channel takes), and an index to select one
channel's due rows

Revision ID: 0005_channels
Revises: 0004_alert_times_ms
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_channels"
down_revision = "0004_alert_times_ms"
branch_labels = None
depends_on = None

INDEX = "ix_alert_outbox_channel_status_id"


def upgrade() -> None:
    for table in ("alert_notices", "alert_outbox"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(
                "channel", sa.String(200), nullable=False, server_default="email"))
    op.create_index(INDEX, "alert_outbox", ["channel", "status", "id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="alert_outbox")
    for table in ("alert_outbox", "alert_notices"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("channel")
