"""BurnEvaluator: the SLO part of the alert service's tick. Once a minute it counts each SLO
target's runs over the burn-rate windows (`storage.reads.slo`: rollups plus the raw tail),
leaves out runs inside maintenance windows, applies the pure burn-rate machine
(`alerts.burn`), and stores severity changes, state and owed notices in one transaction. The
notices then go through the same grouping and outbox as run-driven alerts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerts.burn import (
    WINDOWS_MS,
    BurnNotice,
    BurnState,
    BurnTransition,
    Severity,
    apply_assessment,
    assess,
    burn_rate,
    reconcile_burn,
)
from alerts.repo import AlertRepo, NewNotice
from alerts.settings import Settings, SloTarget
from core.types import format_duration
from storage.codes import from_ms, to_ms
from storage.coordination import ALERTS_LOCK, xact_lock
from storage.database import Store
from storage.reads.slo import Count, WindowCounts, counts_between, probe_ids, window_counts
from storage.schema.slo import slo_events_t, slo_states_t

EVERY = timedelta(seconds=60)
_TIMES = (("since", "since_ms"), ("lower_since", "lower_since_ms"),
          ("notified_at", "notified_ms"), ("page_notice_at", "page_notice_ms"))


def slo_window_name(seconds: float) -> str:
    return f"slo:{format_duration(seconds)}"


def spans_for(targets: Iterable[SloTarget]) -> dict[str, int]:
    """The burn-rate windows plus each distinct SLO window (ms)."""
    spans = dict(WINDOWS_MS)
    for t in targets:
        spans[slo_window_name(t.spec.window)] = int(t.spec.window * 1000)
    return spans


@dataclass(slots=True)
class TargetCounts:
    target: SloTarget
    windows: dict[str, Count]  # window name -> runs counted (maintenance left out)


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class SloCounter:
    """Counts of SLO targets, maintenance runs left out; remembers the counts of maintenance
    intervals that are over (they no longer change)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._closed: dict[tuple[int, int], dict[int, Count]] = {}

    def count(self, s: Settings, targets: Sequence[SloTarget], now: int,
              spans: dict[str, int] | None = None) -> list[TargetCounts]:
        """Each target's runs over `spans` (window name -> ms; the burn-rate windows and SLO
        windows unless given) before `now`, runs in maintenance windows left out."""
        spans = spans if spans is not None else spans_for(targets)
        found: WindowCounts = window_counts(self.store, spans, now)
        ids = probe_ids(self.store)
        out: list[TargetCounts] = []
        oldest = min(found.starts.values(), default=now)
        windows = (s.calendar.windows_between(from_ms(oldest), from_ms(now))
                   if s.calendar else [])
        for target in targets:
            pids = [ids[(target.integration, p)] for p in target.probes
                    if (target.integration, p) in ids]
            counts = {name: Count() for name in spans}
            for pid in pids:
                for name, c in found.probes.get(pid, {}).items():
                    counts[name].add(c.runs, c.failed)
            quiet = _merge([(to_ms(a), to_ms(b)) for a, b, scope in windows
                            if scope is None or target.integration in scope])
            for name, start in found.starts.items():
                for a, b in quiet:
                    lo, hi = max(a, start), min(b, now + 1)
                    if lo < hi:
                        closed = (lo, hi) == (a, b) and b <= now - 600_000
                        for pid, c in self._between(lo, hi, closed).items():
                            if pid in pids:
                                counts[name].add(-c.runs, -c.failed)
            out.append(TargetCounts(target, counts))
        self._closed = {k: v for k, v in self._closed.items() if k[1] >= oldest}
        return out

    def _between(self, a: int, b: int, closed: bool) -> dict[int, Count]:
        """Runs of every probe in [a, b); a whole maintenance window that ended 10 minutes ago
        (late runs settled) is counted once and remembered."""
        if closed and (a, b) in self._closed:
            return self._closed[(a, b)]
        ids = probe_ids(self.store)  # every probe: one cached entry serves every target
        got = counts_between(self.store, [(a, b)], list(ids.values()))[(a, b)]
        if closed:
            self._closed[(a, b)] = got
        return got


def state_from_row(m: Any) -> BurnState:
    st = BurnState(m["target"], Severity(m["severity"]), notified=m["notified"])
    for name, column in _TIMES:
        setattr(st, name, None if m[column] is None else from_ms(m[column]))
    return st


def state_row(st: BurnState, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {"target": st.target, "severity": str(st.severity),
                           "notified": st.notified, "updated_ms": to_ms(now)}
    row.update({column: None if getattr(st, name) is None else to_ms(getattr(st, name))
                for name, column in _TIMES})
    return row


class BurnEvaluator:
    def __init__(self, store: Store) -> None:
        self.repo = AlertRepo(store)
        self.counter = SloCounter(store)
        self._last: datetime | None = None

    def maybe_evaluate(self, s: Settings, now: datetime) -> int:
        """`evaluate` at most once per `EVERY`."""
        if not s.slos or (self._last is not None and now - self._last < EVERY):
            return 0
        self._last = now
        return self.evaluate(s, now)

    def evaluate(self, s: Settings, now: datetime) -> int:
        """One evaluation cycle of every SLO target; returns the number of notices owed. The
        window counts are read first; the states are then read, advanced and written in one
        transaction under the alert lock, so of several runners sharing the database one
        decides each cycle (docs/runners.md, "One evaluator"); 0 when another holds it."""
        counted = self.counter.count(s, s.slos, to_ms(now))
        changed: dict[str, BurnState] = {}
        transitions: list[BurnTransition] = []
        notices: list[NewNotice] = []
        with self.repo.store.write() as conn:
            if not xact_lock(conn, ALERTS_LOCK, wait=False):
                return 0
            rows = conn.execute(sa.select(slo_states_t)).mappings().all()
            known = {r["target"]: state_from_row(r) for r in rows}
            for tc in counted:
                target = tc.target
                old = known.get(target.key)
                st = replace(old) if old else BurnState(target.key)
                found, reason = assess(tc.windows, target.spec)
                tr = apply_assessment(st, found, reason, now)
                if tr is not None:
                    transitions.append(tr)
                kind = None
                if s.notifying and target.spec.alerts:
                    kind = reconcile_burn(st, s.rules.flap_window, s.rules.send_resolved, now)
                if kind is not None:
                    notices += self._notices(s, target, tc.windows, kind, reason, now)
                if old is None or st != old:
                    changed[target.key] = st
            self._save(conn, now, changed, transitions)
            self.repo.save(conn, now, [], [], notices)
        return len(notices)

    def _save(self, conn: sa.Connection, now: datetime, changed: dict[str, BurnState],
              transitions: list[BurnTransition]) -> None:
        if changed:
            conn.execute(slo_states_t.delete().where(slo_states_t.c.target.in_(list(changed))))
            conn.execute(slo_states_t.insert(), [state_row(st, now) for st in changed.values()])
        if transitions:
            conn.execute(slo_events_t.insert(), [
                {"at_ms": to_ms(t.at), "target": t.target, "from_severity": str(t.from_severity),
                 "to_severity": str(t.to_severity), "reason": t.reason} for t in transitions])

    def _notices(self, s: Settings, target: SloTarget, windows: dict[str, Count],
                 kind: BurnNotice, reason: str, now: datetime) -> list[NewNotice]:
        """One notice per channel the routes send this kind to (an email channel without
        recipients gets none)."""
        slo = windows[slo_window_name(target.spec.window)]
        used = (slo.failed / (slo.runs * target.spec.budget)) if slo.runs else 0.0
        payload: dict[str, Any] = {
            "integration": target.integration, "probe": target.probe, "target": target.key,
            "kind": str(kind), "at": now.isoformat(), "reason": reason,
            "objective": target.spec.objective, "window_s": target.spec.window,
            "budget_used": used,
            "rates": {name: burn_rate(windows[name], target.spec) for name in WINDOWS_MS},
        }
        return s.owed(target.integration, target.probe or "", str(kind), payload,
                      recipients_of=target.probes)
