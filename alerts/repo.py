"""SQL for the alert tables (synchronous; the service runs it on one worker thread, in order)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from alerts.state import ProbeState, Transition
from core.states import AlertState
from storage.schema import alert_events, alert_notices, alert_outbox, alert_states

_STATE_FIELDS = (
    "since", "fail_streak", "good_streak", "ok_streak", "degraded_streak", "incident_start",
    "notified", "notified_at", "fire_notice_at", "flaps", "silenced_by",
)


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: everything stored is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def state_row(st: ProbeState, now: datetime) -> dict[str, Any]:
    row = {name: getattr(st, name) for name in _STATE_FIELDS}
    row.update(
        integration=st.integration, probe=st.probe, state=str(st.state),
        condition=str(st.condition), last_failure=st.last_failure, recent=st.recent,
        updated_at=now,
    )
    return row


def state_from_row(row: sa.Row[Any]) -> ProbeState:
    m = row._mapping
    st = ProbeState(m["integration"], m["probe"], AlertState(m["condition"]))
    for name in _STATE_FIELDS:
        value = m[name]
        setattr(st, name, aware(value) if isinstance(value, datetime) else value)
    st.last_failure = dict(m["last_failure"] or {})
    st.recent = list(m["recent"] or [])
    return st


@dataclass(slots=True)
class NewNotice:
    integration: str
    probe: str
    kind: str
    recipients: str  # sorted, newline-separated: the grouping key together with kind
    payload: dict[str, Any]


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


class AlertRepo:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A write transaction; on storage's SQLite engine it takes the write lock up front
        (BEGIN IMMEDIATE), so a busy database waits for busy_timeout instead of failing late."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    def load_states(self) -> dict[tuple[str, str], ProbeState]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_states)).all()
        return {(r.integration, r.probe): state_from_row(r) for r in rows}

    def save(
        self,
        conn: sa.Connection,
        now: datetime,
        inserted: Sequence[ProbeState],
        updated: Sequence[ProbeState],
        transitions: Sequence[Transition],
        notices: Sequence[NewNotice],
    ) -> None:
        """Write state changes, their events and owed notices (inside the caller's transaction)."""
        if inserted:
            conn.execute(alert_states.insert(), [state_row(s, now) for s in inserted])
        if updated:
            t = alert_states
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
        if transitions:
            conn.execute(
                alert_events.insert(),
                [
                    {
                        "at": now, "integration": t.integration, "probe": t.probe,
                        "from_state": t.from_state, "to_state": t.to_state,
                        "condition": t.condition, "reason": t.reason,
                        "run_started_at": t.run_started_at, "run_id": t.run_id,
                    }
                    for t in transitions
                ],
            )
        if notices:
            conn.execute(
                alert_notices.insert(),
                [
                    {
                        "created_at": now, "integration": n.integration, "probe": n.probe,
                        "kind": n.kind, "recipients": n.recipients, "payload": n.payload,
                    }
                    for n in notices
                ],
            )

    def open_notices(self, conn: sa.Connection) -> list[sa.Row[Any]]:
        t = alert_notices
        return list(conn.execute(sa.select(t).where(t.c.outbox_id.is_(None)).order_by(t.c.id)))

    def add_outbox(
        self, conn: sa.Connection, now: datetime, *, message_id: str, kind: str,
        recipients: str, subject: str, text: str, html: str, notice_ids: Iterable[int],
    ) -> int:
        ids = list(notice_ids)
        result = conn.execute(
            alert_outbox.insert().values(
                message_id=message_id, kind=kind, recipients=recipients, subject=subject,
                text_body=text, html_body=html, alert_count=len(ids), status="queued",
                attempts=0, created_at=now, next_attempt_at=now,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        outbox_id = int(key[0])
        t = alert_notices
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            conn.execute(t.update().where(t.c.id.in_(chunk)).values(outbox_id=outbox_id))
        return outbox_id

    def due_outbox(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        """Undelivered rows in creation order (`sending` ones were interrupted by a crash)."""
        t = alert_outbox
        query = (
            sa.select(t)
            .where(t.c.status.in_(("queued", "sending")), t.c.next_attempt_at <= now)
            .order_by(t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            OutboxRow(
                r.id, r.message_id, r.kind, [a for a in r.recipients.split("\n") if a],
                r.subject, r.text_body, r.html_body, r.status, r.attempts,
                aware(r.created_at) or now,
            )
            for r in rows
        ]

    def _update_outbox(self, outbox_id: int, **values: Any) -> None:
        with self.write() as conn:
            conn.execute(alert_outbox.update().where(alert_outbox.c.id == outbox_id), values)

    def mark_sending(self, row: OutboxRow) -> None:
        row.attempts += 1
        self._update_outbox(row.id, status="sending", attempts=row.attempts)

    def mark_sent(self, row: OutboxRow, now: datetime) -> None:
        self._update_outbox(row.id, status="sent", sent_at=now, last_error=None)

    def mark_retry(
        self, row: OutboxRow, error: str, next_attempt_at: datetime, count_attempt: bool = False
    ) -> None:
        """Back to `queued` with the error; `count_attempt` when it failed before `sending`."""
        if count_attempt:
            row.attempts += 1
        self._update_outbox(
            row.id, status="queued", attempts=row.attempts, last_error=error,
            next_attempt_at=next_attempt_at,
        )

    def mark_failed(self, row: OutboxRow, error: str) -> None:
        self._update_outbox(row.id, status="failed", last_error=error)

    def count_interrupted(self) -> int:
        t = alert_outbox
        with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(t).where(t.c.status == "sending")
            return int(conn.execute(query).scalar_one())
