"""alerts: per-probe alert state, transition events, owed notices, email outbox

Revision ID: 0002_alerts
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_alerts"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("integration", sa.String(200), nullable=False),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("condition", sa.String(16), nullable=False),
        sa.Column("silenced_by", sa.String(200), nullable=True),
        sa.Column("since", TS, nullable=True),
        sa.Column("fail_streak", sa.Integer(), nullable=False),
        sa.Column("good_streak", sa.Integer(), nullable=False),
        sa.Column("ok_streak", sa.Integer(), nullable=False),
        sa.Column("degraded_streak", sa.Integer(), nullable=False),
        sa.Column("incident_start", TS, nullable=True),
        sa.Column("notified", sa.String(16), nullable=True),
        sa.Column("notified_at", TS, nullable=True),
        sa.Column("fire_notice_at", TS, nullable=True),
        sa.Column("flaps", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.JSON(), nullable=False),
        sa.Column("recent", sa.JSON(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("integration", "probe"),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("integration", sa.String(200), nullable=False),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("condition", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("run_started_at", TS, nullable=True),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_events_probe_at", "alert_events", ["integration", "probe", "at"])
    op.create_index("ix_alert_events_at", "alert_events", ["at"])
    op.create_table(
        "alert_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_alert_outbox_status_id", "alert_outbox", ["status", "id"])
    op.create_table(
        "alert_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("integration", sa.String(200), nullable=False),
        sa.Column("probe", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["outbox_id"], ["alert_outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_notices_outbox", "alert_notices", ["outbox_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_notices_outbox", table_name="alert_notices")
    op.drop_table("alert_notices")
    op.drop_index("ix_alert_outbox_status_id", table_name="alert_outbox")
    op.drop_table("alert_outbox")
    op.drop_index("ix_alert_events_at", table_name="alert_events")
    op.drop_index("ix_alert_events_probe_at", table_name="alert_events")
    op.drop_table("alert_events")
    op.drop_table("alert_states")
