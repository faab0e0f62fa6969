"""AlertEvaluator, the synchronous core of the alert service: evaluation of committed runs,
time-driven work (maintenance windows, reminders, held flapping alerts) and grouping owed
notices into outbox rows, per channel. Everything here runs on the service's single worker
thread, so calls are serialised in the order they were submitted and the state cache is only
touched from that thread.

Several runners may share the database (docs/runners.md, "One evaluator"): every write to the
alert tables happens under one transaction-scoped lock (`storage.coordination.ALERTS_LOCK`), and
the first thing each transaction does under it is to read the states other runners wrote since
(rows with a revision above the highest this runner has seen). The cache is therefore never a
belief about the database, only a copy of what the lock holder just read.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa

from alerts.channels.base import Notice, RenderContext
from alerts.channels.registry import channel_kind
from alerts.maintenance import SilenceMap
from alerts.quorum import failing_from, seen_across_locations
from alerts.repo import AlertRepo, NewNotice
from alerts.settings import Settings
from alerts.state import NoticeKind, ProbeState, apply_run, is_due, reconcile
from core.redact import Redactor
from probes.result import ProbeResult
from storage.codes import from_ms, to_ms
from storage.coordination import ALERTS_LOCK, xact_lock
from storage.database import Store
from storage.schema.alerts import AlertEvent

log = logging.getLogger("seamwatch.alerts")
Key = tuple[str, str]


class CommittedRun(Protocol):
    """storage's WrittenRun: a committed run and its id."""

    @property
    def result(self) -> ProbeResult: ...
    @property
    def run_id(self) -> int: ...


RunInput = ProbeResult | CommittedRun


def _clone(st: ProbeState) -> ProbeState:
    return replace(st, recent=list(st.recent), last_failure=dict(st.last_failure),
                   locations=dict(st.locations))


class AlertEvaluator:
    def __init__(self, store: Store, redactor: Redactor) -> None:
        self.repo = AlertRepo(store)
        self.redactor = redactor
        self._states: dict[Key, ProbeState] = {}
        self._rev = -1  # the highest state revision read; -1: nothing read yet

    @property
    def states(self) -> dict[Key, ProbeState]:
        """Every probe's state as this runner last read or wrote it."""
        if self._rev < 0:
            with self.repo.store.engine.connect() as conn:
                self._sync(conn)
        return self._states

    def _sync(self, conn: sa.Connection) -> None:
        """Read the states written since the last read (by this runner or another); once read,
        a sole runner (SQLite) knows every write already."""
        if self._rev >= 0 and self.repo.store.sole_runner:
            return
        for st, rev in self.repo.states_since(conn, self._rev):
            self._states[(st.integration, st.probe)] = st
            self._rev = max(self._rev, rev)
        self._rev = max(self._rev, 0)

    # -- notices -------------------------------------------------------------------------------

    def _notices(
        self, s: Settings, st: ProbeState, kind: NoticeKind, now: datetime,
        after_maintenance: str | None = None,
    ) -> list[NewNotice]:
        """One notice per channel the routes send this one to (an email channel without
        recipients gets none)."""
        lf = st.last_failure
        payload: dict[str, Any] = {
            "integration": st.integration, "probe": st.probe, "kind": str(kind),
            "at": now.isoformat(), "category": lf.get("category"), "reason": lf.get("reason"),
            "message": self.redactor.redact(lf.get("message")),
            "failed_step": lf.get("failed_step"), "http_status": lf.get("http_status"),
            "degraded_reason": self.redactor.redact(lf.get("degraded_reason")),
            "incident_start": st.incident_start.isoformat() if st.incident_start else None,
            "recent": list(st.recent), "flaps": st.flaps if kind == NoticeKind.FIRING else 0,
            "after_maintenance": after_maintenance, "failing_from": failing_from(st),
        }
        if kind == NoticeKind.RESOLVED and st.incident_start and st.since:
            payload["lasted_s"] = max(0.0, (st.since - st.incident_start).total_seconds())
        if kind == NoticeKind.REMINDER and st.incident_start:
            payload["firing_for_s"] = max(0.0, (now - st.incident_start).total_seconds())
        notices = s.owed(st.integration, st.probe, str(kind), payload)
        if kind == NoticeKind.FIRING:
            st.flaps = 0
        return notices

    def _silence(
        self, st: ProbeState, window: str | None, now: datetime, out: list[AlertEvent]
    ) -> str | None:
        """Apply a maintenance window change; return the name of a window that just ended."""
        if window == st.silenced_by:
            return None
        ended = st.silenced_by
        if window and not ended:
            out.append(AlertEvent(to_ms(now), st.integration, st.probe, str(st.condition),
                                  "silenced", str(st.condition),
                                  f"maintenance window '{window}' started"))
        elif ended and not window:
            out.append(AlertEvent(to_ms(now), st.integration, st.probe, "silenced",
                                  str(st.condition), str(st.condition),
                                  f"maintenance window '{ended}' ended"))
        st.silenced_by = window
        return ended if not window else None

    def _save(
        self, conn: sa.Connection, now: datetime, changed: dict[Key, ProbeState],
        transitions: list[AlertEvent], notices: list[NewNotice],
    ) -> Callable[[], None]:
        """Write under the lock; returns what to apply to the cache once the commit succeeded."""
        rev = self._rev + 1
        self.repo.save(conn, now, list(changed.values()), transitions, notices, rev)

        def committed() -> None:
            self._states.update(changed)
            self._rev = max(self._rev, rev)

        return committed

    # -- evaluation ----------------------------------------------------------------------------

    def evaluate(self, s: Settings, results: Sequence[RunInput], now: datetime) -> int:
        """Advance the state machine by committed runs (ProbeResult, or storage's WrittenRun
        with `.result` and `.run_id`); one transaction, under the alert lock (waiting for it).
        Returns the number of notices owed."""
        with self.repo.store.write() as conn:
            xact_lock(conn, ALERTS_LOCK, wait=True)
            self._sync(conn)
            changed, transitions, notices = self._apply(s, results, now)
            committed = self._save(conn, now, changed, transitions, notices)
        committed()
        return len(notices)

    def _apply(
        self, s: Settings, results: Sequence[RunInput], now: datetime
    ) -> tuple[dict[Key, ProbeState], list[AlertEvent], list[NewNotice]]:
        states = self._states
        silence: SilenceMap | None = s.calendar.silencing(now) if s.calendar else None
        changed: dict[Key, ProbeState] = {}
        transitions: list[AlertEvent] = []
        notices: list[NewNotice] = []
        for item in results:
            run = item if isinstance(item, ProbeResult) else item.result
            key = (run.integration, run.probe)
            st = changed.get(key)
            if st is None:
                known = states.get(key)
                st = _clone(known) if known else ProbeState(run.integration, run.probe)
                changed[key] = st
            policy = s.policy(run.integration, run.probe)
            window = silence.window_for(run.integration) if silence else None
            ended = self._silence(st, window.name if window else None, now, transitions)
            tr = apply_run(st, seen_across_locations(st, run, policy, s.stale_ms(*key)),
                           policy, now)
            for field in ("message", "degraded_reason"):
                st.last_failure[field] = self.redactor.redact(st.last_failure.get(field))
            if tr is not None:
                reason = self.redactor.redact(tr.reason) or ""
                if tr.condition != "ok" and (where := failing_from(st)):
                    reason = f"{reason} from {where}"  # the incident records its locations
                transitions.append(replace(tr, reason=reason, run_id=getattr(item, "run_id", None)))
            kind = reconcile(st, policy, s.rules, now) if s.notifying else None
            if kind is not None:
                notices += self._notices(s, st, kind, now, ended)
        return changed, transitions, notices

    # -- time-driven work ----------------------------------------------------------------------

    def tick(self, s: Settings, now: datetime) -> int | None:
        """The time-driven work and the grouping of owed notices into outbox rows, in one
        transaction under the alert lock. Returns the number of rows queued, or None when
        another runner holds the lock (it is doing this work)."""
        with self.repo.store.write() as conn:
            if not xact_lock(conn, ALERTS_LOCK, wait=False):
                return None
            self._sync(conn)
            changed, transitions, notices = self._timed(s, now)
            committed = self._save(conn, now, changed, transitions, notices) if changed else None
            queued = self._flush(conn, s, now, changed)
        if committed is not None:
            committed()
        return queued

    def _timed(
        self, s: Settings, now: datetime
    ) -> tuple[dict[Key, ProbeState], list[AlertEvent], list[NewNotice]]:
        """Maintenance open/close, reminders and held (flapping) FIRING emails."""
        silence: SilenceMap | None = s.calendar.silencing(now) if s.calendar else None
        changed: dict[Key, ProbeState] = {}
        transitions: list[AlertEvent] = []
        notices: list[NewNotice] = []
        for key, known in self._states.items():
            window = silence.window_for(known.integration) if silence else None
            name = window.name if window else None
            moved = name != known.silenced_by
            if not moved and not (s.notifying and s.knows(*key) and is_due(known, s.rules, now)):
                continue
            st = _clone(known)
            ended = self._silence(st, name, now, transitions)
            kind = reconcile(st, s.policy(*key), s.rules, now) if s.notifying else None
            if kind:
                notices += self._notices(s, st, kind, now, ended)
            changed[key] = st
        return changed, transitions, notices

    def _flush(
        self, conn: sa.Connection, s: Settings, now: datetime, changed: dict[Key, ProbeState],
    ) -> int:
        """Turn owed notices whose group has waited its channel's `group_wait` into outbox rows
        (one per channel, recipient set and kind; one per notice for a channel that does not
        group), in the caller's transaction (`changed`: states it writes). Notices of a channel
        no longer configured wait for it. Returns the number of rows queued."""
        if not s.notifying:
            return 0
        alerting = s.alerting
        queued = 0
        groups: dict[tuple[str, str, str], list[sa.Row[Any]]] = defaultdict(list)
        for row in self.repo.open_notices(conn):
            if row.channel in alerting.channels:
                groups[(row.channel, row.recipients, row.kind)].append(row)
        ctx: RenderContext | None = None
        for (channel, recipients, kind), rows in groups.items():
            wait = timedelta(seconds=alerting.group_wait(channel))
            if from_ms(rows[0].created_ms) + wait > now:
                continue
            if ctx is None:
                ctx = self._render_context(s, changed)
            spec = alerting.channels[channel]
            kind_of = channel_kind(spec.type)
            batches = [rows] if kind_of.grouped else [[r] for r in rows]
            for batch in batches:
                out = kind_of.render(
                    spec, kind, [Notice(f"notice-{r.id}", dict(r.payload)) for r in batch], ctx)
                self.repo.add_outbox(
                    conn, now, message_id=out.message_id, kind=kind, recipients=recipients,
                    subject=out.subject, text=out.text, html=out.html,
                    notice_ids=[r.id for r in batch], channel=channel,
                )
                queued += 1
        return queued

    def _render_context(self, s: Settings, changed: dict[Key, ProbeState]) -> RenderContext:
        others: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for st in sorted({**self._states, **changed}.values(), key=lambda x: x.probe):
            others[st.integration].append((st.probe, str(st.state)))
        return RenderContext(
            s.alerting.notify.dashboard_url, s.rules.flap_window.total_seconds(), self.redactor,
            others,
        )
