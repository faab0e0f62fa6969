"""Reading and writing the alert tables (`storage.schema.alerts`) through storage's `Store`:
synchronous, run by the service on one worker thread, in order. The state machine works with
datetimes; the tables hold UTC epoch milliseconds, converted here (`storage.codes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from alerts.state import ProbeState
from core.states import AlertState
from storage.codes import from_ms, to_ms
from storage.database import Store
from storage.schema.alerts import (
    AlertEvent,
    alert_events_t,
    alert_notices_t,
    alert_outbox_t,
    alert_states_t,
)

_STATE_FIELDS = (
    "fail_streak", "good_streak", "ok_streak", "degraded_streak", "notified", "flaps",
    "silenced_by",
)
# ProbeState's datetime fields and their `*_ms` columns.
_STATE_TIMES = (
    ("since", "since_ms"), ("incident_start", "incident_start_ms"),
    ("notified_at", "notified_ms"), ("fire_notice_at", "fire_notice_ms"),
)


def _ms(value: datetime | None) -> int | None:
    return None if value is None else to_ms(value)


def _dt(value: int | None) -> datetime | None:
    return None if value is None else from_ms(value)


def state_row(st: ProbeState, now: datetime) -> dict[str, Any]:
    row = {name: getattr(st, name) for name in _STATE_FIELDS}
    row.update({column: _ms(getattr(st, name)) for name, column in _STATE_TIMES})
    row.update(
        integration=st.integration, probe=st.probe, state=str(st.state),
        condition=str(st.condition), last_failure=st.last_failure, recent=st.recent,
        updated_ms=to_ms(now),
    )
    return row


def state_from_row(row: sa.Row[Any]) -> ProbeState:
    m = row._mapping
    st = ProbeState(m["integration"], m["probe"], AlertState(m["condition"]))
    for name in _STATE_FIELDS:
        setattr(st, name, m[name])
    for name, column in _STATE_TIMES:
        setattr(st, name, _dt(m[column]))
    st.last_failure = dict(m["last_failure"] or {})
    st.recent = list(m["recent"] or [])
    return st


@dataclass(slots=True)
class NewNotice:
    integration: str
    probe: str
    kind: str
    recipients: str  # sorted, newline-separated: the grouping key together with channel, kind
    payload: dict[str, Any]
    channel: str = "email"


@dataclass(slots=True)
class OutboxRow:
    id: int
    message_id: str
    kind: str
    recipients: list[str]
    subject: str
    text_body: str
    html_body: str
    status: str
    attempts: int
    created_at: datetime
    channel: str = "email"


class AlertRepo:
    """The alert tables of one `Store`. Writes go through `Store.write`, which on SQLite takes
    the write lock up front (BEGIN IMMEDIATE), so a busy database waits for busy_timeout
    instead of failing late."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_states(self) -> dict[tuple[str, str], ProbeState]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_states_t)).all()
        return {(r.integration, r.probe): state_from_row(r) for r in rows}

    def save(
        self,
        conn: sa.Connection,
        now: datetime,
        inserted: Sequence[ProbeState],
        updated: Sequence[ProbeState],
        events: Sequence[AlertEvent],
        notices: Sequence[NewNotice],
    ) -> None:
        """Write state changes, their events and owed notices (inside the caller's transaction)."""
        if inserted:
            conn.execute(alert_states_t.insert(), [state_row(s, now) for s in inserted])
        if updated:
            t = alert_states_t
            stmt = (
                t.update()
                .where(t.c.integration == sa.bindparam("k_i"), t.c.probe == sa.bindparam("k_p"))
                .values({c.name: sa.bindparam(c.name) for c in t.c if not c.primary_key})
            )
            rows = []
            for s in updated:
                row = state_row(s, now)
                row["k_i"], row["k_p"] = row.pop("integration"), row.pop("probe")
                rows.append(row)
            conn.execute(stmt, rows)
        if events:
            conn.execute(alert_events_t.insert(), [e.row() for e in events])
        if notices:
            created = to_ms(now)
            conn.execute(
                alert_notices_t.insert(),
                [
                    {
                        "created_ms": created, "integration": n.integration, "probe": n.probe,
                        "kind": n.kind, "recipients": n.recipients, "payload": n.payload,
                        "channel": n.channel,
                    }
                    for n in notices
                ],
            )

    def open_notices(self, conn: sa.Connection) -> list[sa.Row[Any]]:
        t = alert_notices_t
        return list(conn.execute(sa.select(t).where(t.c.outbox_id.is_(None)).order_by(t.c.id)))

    def add_outbox(
        self, conn: sa.Connection, now: datetime, *, message_id: str, kind: str,
        recipients: str, subject: str, text: str, html: str, notice_ids: Iterable[int],
        channel: str = "email",
    ) -> int:
        ids = list(notice_ids)
        result = conn.execute(
            alert_outbox_t.insert().values(
                channel=channel,
                message_id=message_id, kind=kind, recipients=recipients, subject=subject,
                text_body=text, html_body=html, alert_count=len(ids), status="queued",
                attempts=0, created_ms=to_ms(now), next_attempt_ms=to_ms(now),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        outbox_id = int(key[0])
        t = alert_notices_t
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            conn.execute(t.update().where(t.c.id.in_(chunk)).values(outbox_id=outbox_id))
        return outbox_id

    def last_outbox_ms(self, kind: str) -> int | None:
        """When the newest outbox email of `kind` was queued (None: never)."""
        t = alert_outbox_t
        with self.store.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.max(t.c.created_ms)).where(
                t.c.kind == kind)).scalar()
        return None if found is None else int(found)

    def due_outbox(
        self, now: datetime, channel: str | None = None, limit: int = 100
    ) -> list[OutboxRow]:
        """Undelivered rows of `channel` (every channel: None) in creation order (`sending`
        ones were interrupted by a crash). The one place that selects rows to deliver."""
        t = alert_outbox_t
        query = (
            sa.select(t)
            .where(t.c.status.in_(("queued", "sending")), t.c.next_attempt_ms <= to_ms(now))
            .order_by(t.c.id)
            .limit(limit)
        )
        if channel is not None:
            query = query.where(t.c.channel == channel)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            OutboxRow(
                r.id, r.message_id, r.kind, [a for a in r.recipients.split("\n") if a],
                r.subject, r.text_body, r.html_body, r.status, r.attempts,
                from_ms(r.created_ms), r.channel,
            )
            for r in rows
        ]

    def _update_outbox(self, outbox_id: int, **values: Any) -> None:
        with self.store.write() as conn:
            conn.execute(alert_outbox_t.update().where(alert_outbox_t.c.id == outbox_id), values)

    def mark_sending(self, row: OutboxRow) -> None:
        row.attempts += 1
        self._update_outbox(row.id, status="sending", attempts=row.attempts)

    def mark_sent(self, row: OutboxRow, now: datetime) -> None:
        self._update_outbox(row.id, status="sent", sent_ms=to_ms(now), last_error=None)

    def mark_retry(
        self, row: OutboxRow, error: str, next_attempt_at: datetime, count_attempt: bool = False
    ) -> None:
        """Back to `queued` with the error; `count_attempt` when it failed before `sending`."""
        if count_attempt:
            row.attempts += 1
        self._update_outbox(
            row.id, status="queued", attempts=row.attempts, last_error=error,
            next_attempt_ms=to_ms(next_attempt_at),
        )

    def mark_failed(self, row: OutboxRow, error: str) -> None:
        self._update_outbox(row.id, status="failed", last_error=error)

    def fail_queued(self, channel: str, error: str) -> int:
        """Mark every undelivered row of `channel` failed (a disabled channel); returns how many."""
        t = alert_outbox_t
        with self.store.write() as conn:
            result = conn.execute(
                t.update()
                .where(t.c.channel == channel, t.c.status.in_(("queued", "sending")))
                .values(status="failed", last_error=error)
            )
            return int(result.rowcount or 0)

    def count_interrupted(self) -> int:
        t = alert_outbox_t
        with self.store.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(t).where(t.c.status == "sending")
            return int(conn.execute(query).scalar_one())
