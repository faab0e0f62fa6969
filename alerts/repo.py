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
from storage.coordination import claim_rows, upsert
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
        locations=st.locations, updated_ms=to_ms(now),
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
    st.locations = dict(m["locations"] or {})
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
    """One outbox email; `interrupted`: a sender claimed it before and died mid-send."""

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
    interrupted: bool = False


def _outbox_row(r: sa.Row[Any]) -> OutboxRow:
    return OutboxRow(
        r.id, r.message_id, r.kind, [a for a in r.recipients.split("\n") if a], r.subject,
        r.text_body, r.html_body, r.status, r.attempts, from_ms(r.created_ms), r.channel,
        interrupted=r.status == "sending",
    )


class AlertRepo:
    """The alert tables of one `Store`. Writes go through `Store.write`, which on SQLite takes
    the write lock up front (BEGIN IMMEDIATE), so a busy database waits for busy_timeout
    instead of failing late; outbox rows are claimed atomically (`claim_next`)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load_states(self) -> dict[tuple[str, str], ProbeState]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(alert_states_t)).all()
        return {(r.integration, r.probe): state_from_row(r) for r in rows}

    def states_since(self, conn: sa.Connection, rev: int) -> list[tuple[ProbeState, int]]:
        """States written with a revision above `rev` (what others changed since), with theirs."""
        t = alert_states_t
        rows = conn.execute(sa.select(t).where(t.c.rev > rev)).all()
        return [(state_from_row(r), int(r.rev)) for r in rows]

    def save(
        self,
        conn: sa.Connection,
        now: datetime,
        changed: Sequence[ProbeState],
        events: Sequence[AlertEvent],
        notices: Sequence[NewNotice],
        rev: int = 0,
    ) -> None:
        """Upsert changed states (with revision `rev`), insert their events and owed notices,
        inside the caller's transaction."""
        upsert(conn, alert_states_t, [{**state_row(s, now), "rev": rev} for s in changed],
               ("integration", "probe"))
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
        """When the newest outbox row of `kind` was queued (None: never)."""
        t = alert_outbox_t
        with self.store.engine.connect() as conn:
            found = conn.execute(sa.select(sa.func.max(t.c.created_ms)).where(
                t.c.kind == kind)).scalar()
        return None if found is None else int(found)

    def expire_outbox(self, channel: str, cutoff: datetime, key: str) -> list[OutboxRow]:
        """Mark `channel`'s undelivered rows created before `cutoff` `failed` (`key`: the config
        key of its max_age, for the message); returns them. (A read first: this runs every tick
        and there is usually nothing to write.)"""
        t = alert_outbox_t
        old = (sa.select(t).where(t.c.channel == channel, t.c.status.in_(("queued", "sending")),
                                  t.c.created_ms < to_ms(cutoff)).order_by(t.c.id))
        with self.store.engine.connect() as conn:
            if not conn.execute(old.limit(1)).first():
                return []
        with self.store.write() as conn:
            rows = conn.execute(old).all()
            for r in rows:
                error = f"gave up after {r.attempts} attempt(s): older than {key}"
                conn.execute(t.update().where(t.c.id == r.id)
                             .values(status="failed", last_error=error, lease_until_ms=None))
        return [_outbox_row(r) for r in rows]

    @staticmethod
    def _deliverable(at: int, channel: str) -> sa.Select[Any]:
        """`channel`'s rows to send now, oldest first: `queued` and due, or `sending` past their
        sender's lease. The one place that selects rows to deliver."""
        t = alert_outbox_t
        return (
            sa.select(t)
            .where(t.c.channel == channel, t.c.next_attempt_ms <= at,
                   sa.or_(t.c.status == "queued",
                          sa.and_(t.c.status == "sending",
                                  sa.func.coalesce(t.c.lease_until_ms, 0) <= at)))
            .order_by(t.c.id)
            .limit(1)
        )

    def any_deliverable(self, now: datetime, channel: str) -> bool:
        """A read-only look before claiming (the tick asks every second)."""
        with self.store.engine.connect() as conn:
            return conn.execute(self._deliverable(to_ms(now), channel)).first() is not None

    def claim_next(self, now: datetime, channel: str, owner: str,
                   lease_s: float) -> OutboxRow | None:
        """Claim `channel`'s oldest deliverable row for `owner` until `now + lease_s`: a
        `queued` row that is due, or a `sending` row whose sender's lease has passed (it died
        mid-send). The claim is atomic, so of several runners exactly one gets each row
        (docs/runners.md, "One sender"); rows stay in order per channel."""
        t = alert_outbox_t
        at = to_ms(now)
        values = {"status": "sending", "attempts": t.c.attempts + 1, "claimed_by": owner,
                  "lease_until_ms": at + int(lease_s * 1000)}
        with self.store.write() as conn:
            rows = claim_rows(conn, t, self._deliverable(at, channel), values)
        if not rows:
            return None
        row = _outbox_row(rows[0])
        row.attempts += 1
        return row

    def _update_outbox(self, outbox_id: int, **values: Any) -> None:
        with self.store.write() as conn:
            conn.execute(alert_outbox_t.update().where(alert_outbox_t.c.id == outbox_id), values)

    def mark_sent(self, row: OutboxRow, now: datetime) -> None:
        self._update_outbox(row.id, status="sent", sent_ms=to_ms(now), last_error=None,
                            lease_until_ms=None)

    def mark_retry(self, row: OutboxRow, error: str, next_attempt_at: datetime) -> None:
        """Back to `queued` with the error, due again at `next_attempt_at`."""
        self._update_outbox(
            row.id, status="queued", last_error=error, next_attempt_ms=to_ms(next_attempt_at),
            lease_until_ms=None,
        )

    def mark_failed(self, row: OutboxRow, error: str) -> None:
        self._update_outbox(row.id, status="failed", last_error=error, lease_until_ms=None)

    def fail_queued(self, channel: str, error: str) -> int:
        """Mark every undelivered row of `channel` failed (a disabled channel); returns how many."""
        t = alert_outbox_t
        with self.store.write() as conn:
            result = conn.execute(
                t.update()
                .where(t.c.channel == channel, t.c.status.in_(("queued", "sending")))
                .values(status="failed", last_error=error, lease_until_ms=None)
            )
            return int(result.rowcount or 0)

    def count_interrupted(self) -> int:
        t = alert_outbox_t
        with self.store.engine.connect() as conn:
            query = sa.select(sa.func.count()).select_from(t).where(t.c.status == "sending")
            return int(conn.execute(query).scalar_one())
