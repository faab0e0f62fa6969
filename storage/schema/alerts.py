"""The alert tables (SQLAlchemy Core on `storage.schema.base.metadata`; created by the Alembic
migration `0002_alerts`). `alerts.repo` writes them, `storage.reads.alert_history` reads them.

- `alert_states`: one row per probe, the state machine's memory (survives restarts).
- `alert_events`: every transition (time, from, to, underlying condition, reason, run reference).
- `alert_notices`: "an email is owed" rows, written in the same transaction as the transition
  that caused them; the tick groups due ones into one outbox email per recipient set and kind,
  setting `outbox_id` in the same transaction that inserts the outbox row.
- `alert_outbox`: rendered emails and their delivery status (queued, sending, sent, failed).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.schema.base import metadata

TS = sa.DateTime(timezone=True)

alert_states = sa.Table(
    "alert_states",
    metadata,
    sa.Column("integration", sa.String(200), primary_key=True),
    sa.Column("probe", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("silenced_by", sa.String(200)),
    sa.Column("since", TS),
    sa.Column("fail_streak", sa.Integer, nullable=False, default=0),
    sa.Column("good_streak", sa.Integer, nullable=False, default=0),
    sa.Column("ok_streak", sa.Integer, nullable=False, default=0),
    sa.Column("degraded_streak", sa.Integer, nullable=False, default=0),
    sa.Column("incident_start", TS),
    sa.Column("notified", sa.String(16)),
    sa.Column("notified_at", TS),
    sa.Column("fire_notice_at", TS),
    sa.Column("flaps", sa.Integer, nullable=False, default=0),
    sa.Column("last_failure", sa.JSON, nullable=False),
    sa.Column("recent", sa.JSON, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

alert_events = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("integration", sa.String(200), nullable=False),
    sa.Column("probe", sa.String(200), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_started_at", TS),
    sa.Column("run_id", sa.BigInteger),
    sa.Index("ix_alert_events_probe_at", "integration", "probe", "at"),
    sa.Index("ix_alert_events_at", "at"),
)

alert_outbox = sa.Table(
    "alert_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("text_body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text, nullable=False),
    sa.Column("alert_count", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("sent_at", TS),
    sa.Index("ix_alert_outbox_status_id", "status", "id"),
)

alert_notices = sa.Table(
    "alert_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("integration", sa.String(200), nullable=False),
    sa.Column("probe", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("alert_outbox.id")),
    sa.Index("ix_alert_notices_outbox", "outbox_id"),
)

ALERT_TABLES = (alert_states, alert_events, alert_outbox, alert_notices)
