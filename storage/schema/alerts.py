"""The alert tables (SQLModel classes on `storage.schema.base.metadata`, used through their
Core handles `*_t`; created by migration
`0002_alerts`, times converted to epoch milliseconds by `0004_alert_times_ms`, `channel` added by
`0005_channels`) and `AlertEvent`,
the type of one `alert_events` row. `alerts.repo` writes them, `storage.reads.alert_history`
reads them.

- `alert_states_t`: one row per probe, the state machine's memory (survives restarts).
- `alert_events_t`: every transition (time, from, to, underlying condition, reason, run
  reference).
- `alert_notices_t`: "a notice is owed to a channel" rows (one per notice per channel), written
  in the same transaction as the transition that caused them; the tick groups due ones into one
  outbox row per channel, recipient set and kind, setting `outbox_id` in the same transaction
  that inserts the outbox row.
- `alert_outbox_t`: rendered notices (an email, a webhook body, a chat message) per channel and
  their delivery status (queued, sending, sent, failed); a `sending` row is claimed by one
  runner until `lease_until_ms`. `html_body` is empty for channels without an HTML rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class AlertStateRecord(SQLModel, table=True):
    __tablename__ = "alert_states"
    __table_args__ = (Index("ix_alert_states_rev", "rev"),)
    integration: str = Field(sa_column=Column(String(200), primary_key=True))
    probe: str = Field(sa_column=Column(String(200), primary_key=True))
    state: str = Field(sa_column=Column(String(16), nullable=False))
    condition: str = Field(sa_column=Column(String(16), nullable=False))
    silenced_by: str | None = Field(default=None, sa_column=Column(String(200)))
    since_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    fail_streak: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    good_streak: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    ok_streak: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    degraded_streak: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    incident_start_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    notified: str | None = Field(default=None, sa_column=Column(String(16)))
    notified_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    fire_notice_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    flaps: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_failure: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False))
    recent: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False))
    # location -> its latest run (the quorum of `alerts.min_failed_locations`)
    locations: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict))
    updated_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    # Raised on every write under the alert lock: a runner re-reads only rows newer than the
    # highest it has seen (docs/runners.md, "One evaluator").
    rev: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class AlertEventRecord(SQLModel, table=True):
    """The table of `AlertEvent`s (below), one row per transition."""

    __tablename__ = "alert_events"
    __table_args__ = (
        Index("ix_alert_events_probe_at", "integration", "probe", "at_ms"),
        Index("ix_alert_events_at", "at_ms"),
    )
    id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    integration: str = Field(sa_column=Column(String(200), nullable=False))
    probe: str = Field(sa_column=Column(String(200), nullable=False))
    from_state: str = Field(sa_column=Column(String(16), nullable=False))
    to_state: str = Field(sa_column=Column(String(16), nullable=False))
    condition: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    run_started_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    run_id: int | None = Field(default=None, sa_column=Column(BigInteger))


class AlertOutboxRecord(SQLModel, table=True):
    __tablename__ = "alert_outbox"
    __table_args__ = (
        Index("ix_alert_outbox_status_id", "status", "id"),
        Index("ix_alert_outbox_channel_status_id", "channel", "status", "id"),
    )
    id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    channel: str = Field(
        default="email", sa_column=Column(String(200), nullable=False, server_default="email"))
    message_id: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    recipients: str = Field(sa_column=Column(Text, nullable=False))
    subject: str = Field(sa_column=Column(Text, nullable=False))
    text_body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str = Field(sa_column=Column(Text, nullable=False))
    alert_count: int = Field(sa_column=Column(Integer, nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    next_attempt_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    sent_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The runner sending it and until when (a `sending` row past its lease is taken over).
    claimed_by: str | None = Field(default=None, sa_column=Column(String(64)))
    lease_until_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


class AlertNoticeRecord(SQLModel, table=True):
    __tablename__ = "alert_notices"
    __table_args__ = (Index("ix_alert_notices_outbox", "outbox_id"),)
    id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    integration: str = Field(sa_column=Column(String(200), nullable=False))
    probe: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    channel: str = Field(
        default="email", sa_column=Column(String(200), nullable=False, server_default="email"))
    recipients: str = Field(sa_column=Column(Text, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outbox_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("alert_outbox.id")))


alert_states_t = table_of(AlertStateRecord)
alert_events_t = table_of(AlertEventRecord)
alert_outbox_t = table_of(AlertOutboxRecord)
alert_notices_t = table_of(AlertNoticeRecord)

ALERT_TABLES: tuple[Table, ...] = (
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
