"""The alert tables (SQLAlchemy Core on `storage.schema.base.metadata`; created by migration
`0002_alerts`, times converted to epoch milliseconds by `0004_alert_times_ms`) and `AlertEvent`,
the type of one `alert_events` row. `alerts.repo` writes them, `storage.reads.alert_history`
reads them.

- `alert_states_t`: one row per probe, the state machine's memory (survives restarts).
- `alert_events_t`: every transition (time, from, to, underlying condition, reason, run
  reference).
- `alert_notices_t`: "an email is owed" rows, written in the same transaction as the transition
  that caused them; the tick groups due ones into one outbox email per recipient set and kind,
  setting `outbox_id` in the same transaction that inserts the outbox row.
- `alert_outbox_t`: rendered emails and their delivery status (queued, sending, sent, failed).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from storage.schema.base import metadata

alert_states_t = sa.Table(
    "alert_states",
    metadata,
    sa.Column("integration", sa.String(200), primary_key=True),
    sa.Column("probe", sa.String(200), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("silenced_by", sa.String(200)),
    sa.Column("since_ms", sa.BigInteger),
    sa.Column("fail_streak", sa.Integer, nullable=False, default=0),
    sa.Column("good_streak", sa.Integer, nullable=False, default=0),
    sa.Column("ok_streak", sa.Integer, nullable=False, default=0),
    sa.Column("degraded_streak", sa.Integer, nullable=False, default=0),
    sa.Column("incident_start_ms", sa.BigInteger),
    sa.Column("notified", sa.String(16)),
    sa.Column("notified_ms", sa.BigInteger),
    sa.Column("fire_notice_ms", sa.BigInteger),
    sa.Column("flaps", sa.Integer, nullable=False, default=0),
    sa.Column("last_failure", sa.JSON, nullable=False),
    sa.Column("recent", sa.JSON, nullable=False),
    sa.Column("updated_ms", sa.BigInteger, nullable=False),
)

alert_events_t = sa.Table(
    "alert_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at_ms", sa.BigInteger, nullable=False),
    sa.Column("integration", sa.String(200), nullable=False),
    sa.Column("probe", sa.String(200), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=False),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("condition", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("run_started_ms", sa.BigInteger),
    sa.Column("run_id", sa.BigInteger),
    sa.Index("ix_alert_events_probe_at", "integration", "probe", "at_ms"),
    sa.Index("ix_alert_events_at", "at_ms"),
)

alert_outbox_t = sa.Table(
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
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("next_attempt_ms", sa.BigInteger, nullable=False),
    sa.Column("sent_ms", sa.BigInteger),
    sa.Index("ix_alert_outbox_status_id", "status", "id"),
)

alert_notices_t = sa.Table(
    "alert_notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("integration", sa.String(200), nullable=False),
    sa.Column("probe", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("alert_outbox.id")),
    sa.Index("ix_alert_notices_outbox", "outbox_id"),
)

ALERT_TABLES: tuple[sa.Table, ...] = (
    alert_states_t, alert_events_t, alert_outbox_t, alert_notices_t,
)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One transition of a probe's visible alert state: an `alert_events_t` row. Made by the
    state machine (`alerts.state.apply_run`) and the evaluator (maintenance windows), read back
    by `storage.reads.alert_history`."""

    at_ms: int  # when the transition was recorded
    integration: str
    probe: str
    from_state: str
    to_state: str
    condition: str  # what the runs say (differs from to_state while silenced)
    reason: str
    run_started_ms: int | None = None  # the run that caused it (None: a maintenance window)
    run_id: int | None = None

    def row(self) -> dict[str, object]:
        """The insert parameters of this event."""
        return {
            "at_ms": self.at_ms, "integration": self.integration, "probe": self.probe,
            "from_state": self.from_state, "to_state": self.to_state,
            "condition": self.condition, "reason": self.reason,
            "run_started_ms": self.run_started_ms, "run_id": self.run_id,
        }
