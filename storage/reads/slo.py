"""Read model for SLOs and burn rates: run counts (all, failed) per probe over rolling windows
ending now, runs inside given intervals (maintenance windows, to exclude), and the hourly
counts of a set of probes (the budget burn-down), and failure categories over a span (the
report).

Cost (docs/architecture.md, "Performance targets"): whole hours come from the rollups' running
totals (`storage.rollups.read.CumIndex`: two lookups per probe and window start, whatever the
span), only runs from the rollup watermark on (the current hour or two) and queued late runs are
read raw. Same convention as `storage.reads.analytics`: a rolled-up hour counts whole when it
overlaps a window, so a window that starts before the watermark covers up to one hour more than
its length; windows that start after the watermark (5 min, 30 min) are exact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from storage.codes import category_name, now_ms
from storage.database import Store
from storage.rollups.format import HOUR_MS, hour_floor
from storage.rollups.read import CumIndex, json_value
from storage.rollups.write import watermark


@dataclass(slots=True)
class Count:
    """Runs counted toward an SLO and how many of them failed."""

    runs: int = 0
    failed: int = 0

    def add(self, runs: int, failed: int) -> None:
        self.runs += runs
        self.failed += failed


# Runs in no rollup row: raw runs from the watermark on, and queued late runs.
_TAIL = """
    (SELECT r.probe_id, r.started_ms, r.status
     FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :w AND r.started_ms <= :now
     UNION ALL
     SELECT q.probe_id, q.started_ms, q.status FROM rollup_late_runs q
     WHERE q.started_ms < :w AND q.started_ms <= :now) t
"""
_CATALOG = sa.text(
    "SELECT i.name, p.name, p.id FROM probes p JOIN integrations i ON i.id = p.integration_id")


def probe_ids(store: Store) -> dict[tuple[str, str], int]:
    """(integration, probe) -> probe id, for every probe in the catalog."""
    with store.engine.connect() as conn:
        return {(i, p): int(pid) for i, p, pid in conn.execute(_CATALOG)}


@dataclass(slots=True)
class WindowCounts:
    starts: dict[str, int]  # window name -> the first instant it counts (hour convention)
    probes: dict[int, dict[str, Count]]  # probe id -> window name -> counts


def window_counts(
    store: Store, spans: Mapping[str, int], now: int | None = None
) -> WindowCounts:
    """probe id -> window name -> runs and failed runs started in the `span` ms before `now`
    (see the module docstring for the hour convention). Probes without runs are left out."""
    t = now if now is not None else now_ms()
    names = list(spans)
    out: dict[int, dict[str, Count]] = {}
    effective: dict[str, int] = {}

    def slot(pid: int) -> dict[str, Count]:
        found = out.get(pid)
        if found is None:
            found = out[pid] = {name: Count() for name in names}
        return found

    with store.engine.connect() as conn:
        if not store.is_sqlite:  # one snapshot: a roll-up committing meanwhile changes nothing
            conn.execution_options(isolation_level="REPEATABLE READ")
        w = watermark(conn) or 0
        wr = min(w, hour_floor(t + HOUR_MS - 1))
        starts = {name: min(hour_floor(t - span), wr) for name, span in spans.items()}
        effective.update({name: x if x < wr else t - spans[name] for name, x in starts.items()})
        if any(x < wr for x in starts.values()):
            cum = CumIndex(conn, with_hist=False).at(sorted({wr, *starts.values()}))
            for pid, through in cum[wr].items():
                for name, x in starts.items():
                    if x < wr:
                        span_totals = through.minus(cum[x][pid])
                        slot(pid)[name].add(span_totals.count, span_totals.failed)
        sums = ", ".join(
            f"sum(CASE WHEN started_ms > :s{i} THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN started_ms > :s{i} AND status >= 2 THEN 1 ELSE 0 END)"
            for i in range(len(names)))
        params: dict[str, int] = {"w": w, "now": t}
        params.update({f"s{i}": t - spans[name] for i, name in enumerate(names)})
        oldest = min(params[f"s{i}"] for i in range(len(names)))
        rows = conn.execute(sa.text(
            f"SELECT probe_id, {sums} FROM {_TAIL} WHERE started_ms > :oldest GROUP BY probe_id"),
            {**params, "oldest": oldest})
        for row in rows:
            counts = slot(int(row[0]))
            for i, name in enumerate(names):
                counts[name].add(int(row[1 + 2 * i] or 0), int(row[2 + 2 * i] or 0))
    return WindowCounts(effective, out)


def counts_between(
    store: Store, intervals: Sequence[tuple[int, int]], pids: Sequence[int]
) -> dict[tuple[int, int], dict[int, Count]]:
    """(start, end) -> probe id -> raw runs of `pids` started in [start, end) and how many
    failed (maintenance windows: runs to leave out of an SLO). Runs older than the raw
    retention are gone and cannot be counted."""
    out: dict[tuple[int, int], dict[int, Count]] = {}
    if not pids:
        return {iv: {} for iv in intervals}
    ids = ", ".join(str(int(p)) for p in sorted(set(pids)))
    query = sa.text(
        f"SELECT r.probe_id, count(*), sum(CASE WHEN r.status >= 2 THEN 1 ELSE 0 END) "
        f"FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :a "
        f"AND r.started_ms < :b WHERE p.id IN ({ids}) GROUP BY r.probe_id")
    with store.engine.connect() as conn:
        for a, b in intervals:
            out[(a, b)] = {int(pid): Count(int(n), int(f or 0))
                           for pid, n, f in conn.execute(query, {"a": a, "b": b})}
    return out


def hourly_counts(
    store: Store, pids: Sequence[int], start_ms: int, now: int | None = None
) -> list[tuple[int, Count]]:
    """(hour start, runs and failed runs of `pids` in that hour) from the hour holding
    `start_ms` to the hour holding `now`, oldest first; hours without runs are left out."""
    t = now if now is not None else now_ms()
    if not pids:
        return []
    ids = ", ".join(str(int(p)) for p in sorted(set(pids)))
    hours: dict[int, Count] = {}
    with store.engine.connect() as conn:
        if not store.is_sqlite:
            conn.execution_options(isolation_level="REPEATABLE READ")
        w = watermark(conn) or 0
        rolled = conn.execute(sa.text(
            f"SELECT r.hour_ms, sum(r.count), sum(r.failed) FROM run_rollups_hourly r "
            f"WHERE r.probe_id IN ({ids}) AND r.hour_ms >= :a AND r.hour_ms < :w "
            f"GROUP BY r.hour_ms"), {"a": hour_floor(start_ms), "w": w})
        raw = conn.execute(sa.text(
            f"SELECT (started_ms / {HOUR_MS}) * {HOUR_MS}, count(*), "
            f"sum(CASE WHEN status >= 2 THEN 1 ELSE 0 END) FROM {_TAIL} "
            f"WHERE probe_id IN ({ids}) AND started_ms >= :a "
            f"GROUP BY (started_ms / {HOUR_MS}) * {HOUR_MS}"),
            {"w": w, "now": t, "a": hour_floor(start_ms)})
        for hour, n, failed in [*rolled, *raw]:
            hours.setdefault(int(hour), Count()).add(int(n or 0), int(failed or 0))
    return sorted(hours.items())


def failure_categories(store: Store, start_ms: int, end_ms: int) -> dict[str, Counter[str]]:
    """integration name -> failure category -> failed runs started in [start_ms, end_ms)
    (rolled-up hours that overlap the span count whole, as in `window_counts`)."""
    out: dict[str, Counter[str]] = {}
    with store.engine.connect() as conn:
        w = watermark(conn) or 0
        wr = min(w, hour_floor(end_ms + HOUR_MS - 1))
        rolled = conn.execute(sa.text(
            "SELECT i.name, r.categories FROM run_rollups_hourly r "
            "JOIN probes p ON p.id = r.probe_id JOIN integrations i ON i.id = p.integration_id "
            "WHERE r.hour_ms >= :a AND r.hour_ms < :w AND r.failed > 0"),
            {"a": hour_floor(start_ms), "w": wr})
        for name, categories in rolled:
            out.setdefault(name, Counter()).update(
                {str(k): int(v) for k, v in (json_value(categories) or {}).items()})
        raw = conn.execute(sa.text(
            "SELECT i.name, t.category, count(*) FROM (SELECT r.probe_id, r.category "
            "FROM runs r WHERE r.started_ms >= :s AND r.started_ms < :e AND r.status >= 2 "
            "UNION ALL SELECT q.probe_id, q.category FROM rollup_late_runs q "
            "WHERE q.started_ms >= :s0 AND q.started_ms < :w AND q.status >= 2) t "
            "JOIN probes p ON p.id = t.probe_id JOIN integrations i ON i.id = p.integration_id "
            "GROUP BY i.name, t.category"),
            {"s": max(start_ms, wr), "e": end_ms, "s0": start_ms, "w": wr})
        for name, code, n in raw:
            label = str(category_name(code)) if code is not None else "unknown"
            out.setdefault(name, Counter())[label] += int(n)
    return out


@dataclass(frozen=True, slots=True)
class SloAlertNow:
    target: str
    severity: str
    since_ms: int | None


def slo_alert_states(store: Store) -> dict[str, SloAlertNow]:
    """target -> its burn-rate severity as `serve` last recorded it (empty before the first
    evaluation, or on a database `serve` has not migrated yet)."""
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("slo_states"):
            return {}
        rows = conn.execute(sa.text("SELECT target, severity, since_ms FROM slo_states"))
        return {t: SloAlertNow(t, s, None if m is None else int(m)) for t, s, m in rows}


@dataclass(frozen=True, slots=True)
class SloEvent:
    at_ms: int
    target: str
    from_severity: str
    to_severity: str
    reason: str


def slo_events(store: Store, target: str, start_ms: int, limit: int = 100) -> list[SloEvent]:
    """The target's burn-rate severity changes since `start_ms`, newest first."""
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table("slo_events"):
            return []
        rows = conn.execute(sa.text(
            "SELECT at_ms, target, from_severity, to_severity, reason FROM slo_events "
            "WHERE target = :t AND at_ms >= :s ORDER BY at_ms DESC, id DESC LIMIT :n"),
            {"t": target, "s": start_ms, "n": limit})
        return [SloEvent(int(a), t, f, to, r) for a, t, f, to, r in rows]
