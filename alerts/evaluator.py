"""AlertEvaluator, the synchronous core of the alert service: evaluation of committed runs,
time-driven work (maintenance windows, reminders, held flapping alerts) and grouping owed
notices into outbox emails. Everything here runs on the service's single worker thread, so calls
are serialised in the order they were submitted and the state cache is only touched from that
thread.

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

from alerts.maintenance import SilenceMap
from alerts.message import new_message_id
from alerts.quorum import failing_from, seen_across_locations
from alerts.render import render_group
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

    def _notice(
        self, s: Settings, st: ProbeState, kind: NoticeKind, now: datetime,
        after_maintenance: str | None = None,
    ) -> NewNotice | None:
        recipients = s.recipients(st.integration, st.probe)
        if not recipients:
            return None
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
        if kind == NoticeKind.FIRING:
            st.flaps = 0
        return NewNotice(st.integration, st.probe, str(kind), "\n".join(recipients), payload)

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
            kind = reconcile(st, policy, s.rules, now) if s.email else None
            if kind is not None:
                notice = self._notice(s, st, kind, now, ended)
                if notice:
                    notices.append(notice)
        return changed, transitions, notices

    # -- time-driven work ----------------------------------------------------------------------

    def tick(
        self, s: Settings, now: datetime, render: Callable[..., Any] = render_group
    ) -> int | None:
        """The time-driven work and the grouping of owed notices into outbox emails, in one
        transaction under the alert lock. Returns the number of emails queued, or None when
        another runner holds the lock (it is doing this work)."""
        with self.repo.store.write() as conn:
            if not xact_lock(conn, ALERTS_LOCK, wait=False):
                return None
            self._sync(conn)
            changed, transitions, notices = self._timed(s, now)
            committed = self._save(conn, now, changed, transitions, notices) if changed else None
            queued = self._flush(conn, s, now, render, changed)
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
            if not moved and not (s.email and s.knows(*key) and is_due(known, s.rules, now)):
                continue
            st = _clone(known)
            ended = self._silence(st, name, now, transitions)
            kind = reconcile(st, s.policy(*key), s.rules, now) if s.email else None
            notice = self._notice(s, st, kind, now, ended) if kind else None
            if notice:
                notices.append(notice)
            changed[key] = st
        return changed, transitions, notices

    def _flush(
        self, conn: sa.Connection, s: Settings, now: datetime, render: Callable[..., Any],
        changed: dict[Key, ProbeState],
    ) -> int:
        """Turn owed notices whose group has waited `group_wait` into outbox emails (one per
        recipient set and kind), in the caller's transaction (`changed`: states it writes).
        Returns the number queued."""
        if s.email is None:
            return 0
        wait = timedelta(seconds=s.email.group_wait)
        queued = 0
        groups: dict[tuple[str, str], list[sa.Row[Any]]] = defaultdict(list)
        for row in self.repo.open_notices(conn):
            groups[(row.recipients, row.kind)].append(row)
        others: dict[str, list[tuple[str, str]]] | None = None
        for (recipients, kind), rows in groups.items():
            if from_ms(rows[0].created_ms) + wait > now:
                continue
            if others is None:
                others = defaultdict(list)
                for st in sorted({**self._states, **changed}.values(), key=lambda x: x.probe):
                    others[st.integration].append((st.probe, str(st.state)))
            rendered = render(
                kind, [dict(r.payload) for r in rows], others=others,
                dashboard_url=s.email.dashboard_url,
                flap_window_s=s.rules.flap_window.total_seconds(), redactor=self.redactor,
            )
            self.repo.add_outbox(
                conn, now, message_id=new_message_id(s.email.from_), kind=kind,
                recipients=recipients, subject=rendered.subject, text=rendered.text,
                html=rendered.html, notice_ids=[r.id for r in rows],
            )
            queued += 1
        return queued
