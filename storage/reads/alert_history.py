"""Dashboard read model for the alert tables (`storage.schema.alerts`): current states,
transitions (`AlertEvent`), state bands, incidents, mean time to recovery and the notification
outbox (every channel's rows, and each channel's delivery summary).

An **incident** is a probe's stay in the `firing` condition: it starts at the transition that
left `ok`/`degraded` on the way to firing (the first failing run's transition, so `pending` time
counts), and ends at the transition back to `ok` or `degraded`. Its cause is the reason of the
transition into `firing`. A `pending` spell that recovered without firing is not an incident.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from storage.database import Store
from storage.schema.alerts import AlertEvent, alert_events_t, alert_outbox_t, alert_states_t


@dataclass(slots=True)
class AlertNow:
    integration: str
    probe: str
    state: str  # visible state (silenced while a maintenance window is open)
    condition: str  # what the runs say
    since_ms: int | None
    silenced_by: str | None
    fail_streak: int
    incident_start_ms: int | None
    last_failure: dict[str, object]


def current_states(store: Store) -> list[AlertNow]:
    t = alert_states_t
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_states"):
            return []
        rows = conn.execute(sa.select(t).order_by(t.c.integration, t.c.probe)).mappings().all()
    return [
        AlertNow(
            r["integration"], r["probe"], "silenced" if r["silenced_by"] else r["condition"],
            r["condition"], r["since_ms"], r["silenced_by"], int(r["fail_streak"] or 0),
            r["incident_start_ms"], dict(r["last_failure"] or {}),
        )
        for r in rows
    ]


def events(
    store: Store, start_ms: int | None = None, end_ms: int | None = None,
    integration: str | None = None, probe: str | None = None,
) -> list[AlertEvent]:
    """Transitions in [start_ms, end_ms), oldest first (optionally one integration/probe)."""
    t = alert_events_t
    query = sa.select(t.c.at_ms, t.c.integration, t.c.probe, t.c.from_state, t.c.to_state,
                      t.c.condition, t.c.reason, t.c.run_started_ms, t.c.run_id)
    if start_ms is not None:
        query = query.where(t.c.at_ms >= start_ms)
    if end_ms is not None:
        query = query.where(t.c.at_ms < end_ms)
    if integration is not None:
        query = query.where(t.c.integration == integration)
    if probe is not None:
        query = query.where(t.c.probe == probe)
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_events"):
            return []
        rows = conn.execute(query.order_by(t.c.at_ms, t.c.id)).all()
    return [AlertEvent(*row) for row in rows]


def state_before(store: Store, integration: str, probe: str, at_ms: int) -> str:
    """The visible state a probe was in just before `at_ms` (`ok` when nothing was recorded)."""
    t = alert_events_t
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_events"):
            return "ok"
        state = conn.execute(
            sa.select(t.c.to_state)
            .where(t.c.integration == integration, t.c.probe == probe, t.c.at_ms < at_ms)
            .order_by(t.c.at_ms.desc(), t.c.id.desc()).limit(1)
        ).scalar_one_or_none()
    return state or "ok"


@dataclass(slots=True)
class StateBand:
    start_ms: int
    end_ms: int
    state: str
    reason: str  # why the probe entered this state ("" for the band before the first event)


def state_bands(
    initial: str, transitions: Sequence[AlertEvent], start_ms: int, end_ms: int
) -> list[StateBand]:
    """Contiguous bands covering [start_ms, end_ms): `initial` until the first transition, then
    each transition's `to_state` until the next one. Zero-length bands are dropped."""
    bands: list[StateBand] = []
    state, since, reason = initial, start_ms, ""
    for ev in sorted(transitions, key=lambda e: e.at_ms):
        at = min(max(ev.at_ms, start_ms), end_ms)
        if at > since:
            bands.append(StateBand(since, at, state, reason))
        state, since, reason = ev.to_state, at, ev.reason
    if end_ms > since:
        bands.append(StateBand(since, end_ms, state, reason))
    return bands


@dataclass(slots=True)
class Incident:
    integration: str
    probe: str
    start_ms: int
    end_ms: int | None  # None while still open
    cause: str

    def duration_ms(self, now_ms: int) -> int:
        return (self.end_ms if self.end_ms is not None else now_ms) - self.start_ms


def incidents(transitions: Sequence[AlertEvent]) -> list[Incident]:
    """Incidents from transitions ordered by time (see the module docstring); newest first."""
    out: list[Incident] = []
    open_: dict[tuple[str, str], Incident] = {}
    left_ok: dict[tuple[str, str], int] = {}
    for ev in sorted(transitions, key=lambda e: e.at_ms):
        key = (ev.integration, ev.probe)
        if ev.condition == "pending" and key not in left_ok and key not in open_:
            left_ok[key] = ev.at_ms
        elif ev.condition == "firing" and key not in open_:
            incident = Incident(ev.integration, ev.probe, left_ok.pop(key, ev.at_ms), None,
                                ev.reason)
            open_[key] = incident
            out.append(incident)
        elif ev.condition in ("ok", "degraded"):
            left_ok.pop(key, None)
            ended = open_.pop(key, None)
            if ended is not None:
                ended.end_ms = ev.at_ms
    return sorted(out, key=lambda i: i.start_ms, reverse=True)


def mttr_by_integration(found: Iterable[Incident]) -> dict[str, tuple[float, int]]:
    """Mean time to recovery (ms) and number of resolved incidents per integration."""
    sums: dict[str, list[int]] = {}
    for inc in found:
        if inc.end_ms is not None:
            sums.setdefault(inc.integration, []).append(inc.end_ms - inc.start_ms)
    return {name: (sum(d) / len(d), len(d)) for name, d in sorted(sums.items())}


@dataclass(slots=True)
class OutboxEmail:
    """One outbox row: an email, a webhook call or a chat message (`channel`)."""

    id: int
    kind: str
    status: str
    recipients: list[str]
    subject: str
    text_body: str
    attempts: int
    last_error: str | None
    created_ms: int
    sent_ms: int | None
    next_attempt_ms: int | None
    alert_count: int
    channel: str = "email"


def outbox(store: Store, limit: int = 200, status: str | None = None) -> list[OutboxEmail]:
    """The newest outbox rows first."""
    t = alert_outbox_t
    query = sa.select(t).order_by(t.c.id.desc()).limit(limit)
    if status is not None:
        query = query.where(t.c.status == status)
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_outbox"):
            return []
        rows = conn.execute(query).mappings().all()
    return [
        OutboxEmail(
            int(r["id"]), r["kind"], r["status"], [a for a in r["recipients"].split("\n") if a],
            r["subject"], r["text_body"], int(r["attempts"] or 0), r["last_error"],
            r["created_ms"], r["sent_ms"], r["next_attempt_ms"],
            int(r["alert_count"] or 0), r["channel"],
        )
        for r in rows
    ]


def outbox_counts(store: Store) -> dict[str, int]:
    t = alert_outbox_t
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_outbox"):
            return {}
        rows = conn.execute(sa.select(t.c.status, sa.func.count()).group_by(t.c.status))
        return {status: int(n) for status, n in rows}


@dataclass(slots=True)
class ChannelSummary:
    """One channel's outbox: counts by status, when it last delivered, and the error it is
    retrying (its newest undelivered row's), else its newest failed row's; `failing` while it
    retries, or when that failed row is newer than the newest one delivered (a disabled
    channel, a refused notice)."""

    channel: str
    counts: dict[str, int]
    last_sent_ms: int | None
    last_error: str | None
    failing: bool = False


def channel_summaries(store: Store) -> list[ChannelSummary]:
    t = alert_outbox_t
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("alert_outbox"):
            return []
        summaries: dict[str, ChannelSummary] = {}
        counts = conn.execute(sa.select(
            t.c.channel, t.c.status, sa.func.count(), sa.func.max(t.c.sent_ms), sa.func.max(t.c.id),
        ).group_by(t.c.channel, t.c.status))
        newest_sent: dict[str, int] = {}
        for channel, status, n, last_sent, last_id in counts:
            summary = summaries.setdefault(channel, ChannelSummary(channel, {}, None, None))
            summary.counts[status] = int(n)
            if last_sent is not None:
                summary.last_sent_ms = max(summary.last_sent_ms or 0, int(last_sent))
            if status == "sent":
                newest_sent[channel] = int(last_id)
        # the error a channel retries now (an undelivered row), else its newest failed row's
        for statuses in (("queued", "sending"), ("failed",)):
            newest = (sa.select(t.c.channel, sa.func.max(t.c.id).label("id"))
                      .where(t.c.last_error.is_not(None), t.c.status.in_(statuses))
                      .group_by(t.c.channel).subquery())
            errors = conn.execute(sa.select(t.c.channel, t.c.last_error, t.c.id)
                                  .join(newest, t.c.id == newest.c.id))
            for channel, error, row_id in errors:
                found = summaries.get(channel)
                if found is None or found.last_error is not None:
                    continue
                found.last_error = error
                found.failing = statuses[0] == "queued" or (
                    int(row_id) > newest_sent.get(channel, 0))
    return sorted(summaries.values(), key=lambda s: s.channel)
