"""Dashboard read model: the overview (one row per integration, with its probes).

All aggregates are computed in SQL. Conventions (shared with `storage.queries`):

* percentiles are **nearest-rank** over every run in the window, failed runs included;
* uptime is (ok + degraded) / all runs;
* raw runs and hourly rollups never overlap (retention deletes the raw runs it rolls up), so a
  window's counts are raw runs in the window plus rollup hours that overlap it;
* times are epoch milliseconds (UTC), latencies milliseconds (float) in the returned objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from storage.codes import CATEGORY, RUN_STATUS, now_ms
from storage.engine import Store
from storage.models import runs_t

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
UPTIME_WINDOWS: dict[str, int] = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}


def rank_sql(q: int, n: str = "n") -> str:
    """1-based nearest rank ceil(q·n/100) in integer arithmetic (identical in SQLite and PG)."""
    return f"(({q} * {n} + 99) / 100)"


def json_value(value: Any) -> Any:
    """A JSON column read through a text query: decoded by the driver (PostgreSQL) or a string
    (SQLite)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def rank(q: int, n: int) -> int:
    return (q * n + 99) // 100


@dataclass(slots=True)
class Uptime:
    runs: int = 0
    good: int = 0

    @property
    def pct(self) -> float | None:
        """Percent of runs that passed (ok or degraded); None without runs."""
        return 100.0 * self.good / self.runs if self.runs else None

    def add(self, other: Uptime) -> None:
        self.runs += other.runs
        self.good += other.good


def _windows() -> dict[str, Uptime]:
    return {name: Uptime() for name in UPTIME_WINDOWS}


@dataclass(slots=True)
class ProbeOverview:
    probe_id: int
    integration: str
    probe: str
    kind: str
    retired_ms: int | None = None
    uptime: dict[str, Uptime] = field(default_factory=_windows)
    last_run_ms: int | None = None
    last_status: str | None = None
    last_latency_ms: float | None = None
    last_failure_ms: int | None = None
    last_failure_category: str | None = None
    last_failure_reason: str | None = None


@dataclass(slots=True)
class IntegrationOverview:
    name: str
    description: str | None
    tags: list[str]
    retired_ms: int | None
    probes: list[ProbeOverview] = field(default_factory=list)
    uptime: dict[str, Uptime] = field(default_factory=_windows)
    runs_in_range: int = 0
    failed_in_range: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    spark: list[tuple[int, float]] = field(default_factory=list)  # (bucket start ms, mean ms)

    @property
    def last_failure(self) -> ProbeOverview | None:
        failed = [p for p in self.probes if p.last_failure_ms is not None]
        return max(failed, key=lambda p: p.last_failure_ms or 0) if failed else None

    @property
    def has_runs(self) -> bool:
        return any(p.last_run_ms is not None for p in self.probes)


_CATALOG = sa.text(
    """
    SELECT p.id, i.id, i.name, i.description, i.tags, i.retired_ms, p.name, p.kind, p.retired_ms
    FROM probes p JOIN integrations i ON i.id = p.integration_id
    ORDER BY i.name, p.name
    """
)


_RAW_WINDOWS = sa.text(
    """
    SELECT probe_id,
           sum(CASE WHEN started_ms > :d1 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d1 AND status < 2 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d7 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d7 AND status < 2 THEN 1 ELSE 0 END),
           count(*), sum(CASE WHEN status < 2 THEN 1 ELSE 0 END),
           max(CASE WHEN status = 2 THEN started_ms END)
    FROM runs WHERE started_ms > :d30 AND started_ms <= :now
    GROUP BY probe_id
    """
)
# A rollup hour counts for a window when it overlaps it (hour_ms + 1 h > window start).
_ROLLUP_WINDOWS = sa.text(
    """
    SELECT probe_id,
           sum(CASE WHEN hour_ms > :d1 - 3600000 THEN count ELSE 0 END),
           sum(CASE WHEN hour_ms > :d1 - 3600000 THEN ok + degraded ELSE 0 END),
           sum(CASE WHEN hour_ms > :d7 - 3600000 THEN count ELSE 0 END),
           sum(CASE WHEN hour_ms > :d7 - 3600000 THEN ok + degraded ELSE 0 END),
           sum(count), sum(ok + degraded),
           max(CASE WHEN failed > 0 THEN hour_ms END)
    FROM run_rollups_hourly WHERE hour_ms > :d30 - 3600000 AND hour_ms <= :now
    GROUP BY probe_id
    """
)
_LAST_RUN = sa.text(
    """
    SELECT p.id, r.started_ms, r.status, r.latency_us
    FROM probes p JOIN runs r ON r.probe_id = p.id AND r.started_ms = (
        SELECT max(r2.started_ms) FROM runs r2 WHERE r2.probe_id = p.id AND r2.started_ms <= :now)
    ORDER BY p.id, r.id
    """
)
_RANGE_PERCENTILES = sa.text(
    f"""
    SELECT iid, n, f, rn, latency_us FROM (
        SELECT p.integration_id AS iid, r.latency_us,
               row_number() OVER (PARTITION BY p.integration_id ORDER BY r.latency_us) AS rn,
               count(*) OVER (PARTITION BY p.integration_id) AS n,
               sum(CASE WHEN r.status = 2 THEN 1 ELSE 0 END)
                   OVER (PARTITION BY p.integration_id) AS f
        FROM runs r JOIN probes p ON p.id = r.probe_id
        WHERE r.started_ms >= :s AND r.started_ms < :e) q
    WHERE rn = {rank_sql(50)} OR rn = {rank_sql(95)}
    """
)
_SPARK = sa.text(
    """
    SELECT p.integration_id, (r.started_ms - :s) / :bm AS b, count(*), sum(r.latency_us)
    FROM runs r JOIN probes p ON p.id = r.probe_id
    WHERE r.started_ms >= :s AND r.started_ms < :e
    GROUP BY p.integration_id, (r.started_ms - :s) / :bm
    """
)


def overview(
    store: Store,
    start_ms: int,
    end_ms: int,
    *,
    now: int | None = None,
    spark_points: int = 48,
) -> list[IntegrationOverview]:
    """Every integration (retired ones flagged) with its probes: uptime over 24 h / 7 d / 30 d
    before `now`, p50/p95 latency and run counts over [start_ms, end_ms), the last run and last
    failure, and a sparkline of mean latency over the range in about `spark_points` buckets."""
    t = now if now is not None else now_ms()
    params = {"now": t, **{k: t - v for k, v in
                           (("d1", DAY_MS), ("d7", 7 * DAY_MS), ("d30", 30 * DAY_MS))}}
    integrations: dict[int, IntegrationOverview] = {}
    probes: dict[int, ProbeOverview] = {}
    probe_integration: dict[int, int] = {}
    spark_bm = max(1, (end_ms - start_ms + spark_points - 1) // spark_points)
    with store.engine.connect() as conn:
        for pid, iid, iname, desc, tags, iret, pname, kind, pret in conn.execute(_CATALOG):
            integ = integrations.get(iid)
            if integ is None:
                integ = integrations[iid] = IntegrationOverview(
                    iname, desc, list(json_value(tags) or []), iret)
            probe = probes[pid] = ProbeOverview(pid, iname, pname, kind, pret)
            integ.probes.append(probe)
            probe_integration[pid] = iid
        raw_fail: dict[int, int] = {}
        for row in conn.execute(_RAW_WINDOWS, params):
            _add_windows(probes, row)
            if row[7] is not None and row[0] in probes:
                raw_fail[row[0]] = int(row[7])
        rollup_fail: dict[int, int] = {}
        for row in conn.execute(_ROLLUP_WINDOWS, params):
            _add_windows(probes, row)
            if row[7] is not None and row[0] in probes:
                rollup_fail[row[0]] = int(row[7])
        for pid, started, status, latency in conn.execute(_LAST_RUN, params):
            if pid in probes:
                p = probes[pid]
                p.last_run_ms, p.last_status = int(started), str(RUN_STATUS[status])
                p.last_latency_ms = latency / 1000.0
        _last_failures(conn, probes, raw_fail, rollup_fail)
        range_params = {"s": start_ms, "e": end_ms, "bm": spark_bm}
        for iid, n, f, rn, latency in conn.execute(_RANGE_PERCENTILES, range_params):
            integ = integrations[iid]
            integ.runs_in_range, integ.failed_in_range = int(n), int(f)
            if rn == rank(50, n):
                integ.p50_ms = latency / 1000.0
            if rn == rank(95, n):
                integ.p95_ms = latency / 1000.0
        for iid, b, n, total in conn.execute(_SPARK, range_params):
            integrations[iid].spark.append((start_ms + int(b) * spark_bm, total / n / 1000.0))
    for integ in integrations.values():
        integ.spark.sort()
        for p in integ.probes:
            for name, up in p.uptime.items():
                integ.uptime[name].add(up)
    return sorted(integrations.values(), key=lambda i: i.name)


def _add_windows(probes: dict[int, ProbeOverview], row: Any) -> None:
    pid, n1, g1, n7, g7, n30, g30 = row[:7]
    probe = probes.get(pid)
    if probe is None:
        return
    for name, n, g in (("24h", n1, g1), ("7d", n7, g7), ("30d", n30, g30)):
        probe.uptime[name].add(Uptime(int(n or 0), int(g or 0)))


def _last_failures(
    conn: sa.Connection,
    probes: dict[int, ProbeOverview],
    raw_fail: dict[int, int],
    rollup_fail: dict[int, int],
) -> None:
    """Category and reason of each probe's newest failed run (raw), else the most frequent
    category of its newest rollup hour with failures."""
    pairs = list(raw_fail.items())
    for start in range(0, len(pairs), 400):
        chunk = pairs[start : start + 400]
        rows = conn.execute(
            sa.select(runs_t.c.probe_id, runs_t.c.started_ms, runs_t.c.category,
                      runs_t.c.reason)
            .where(sa.tuple_(runs_t.c.probe_id, runs_t.c.started_ms).in_(chunk),
                   runs_t.c.status == 2)
        )
        for pid, started, category, reason in rows:
            p = probes[pid]
            p.last_failure_ms = int(started)
            p.last_failure_category = str(CATEGORY[category]) if category else None
            p.last_failure_reason = reason
    missing = [(pid, hour) for pid, hour in rollup_fail.items() if pid not in raw_fail]
    if not missing:
        return
    t = sa.table("run_rollups_hourly", sa.column("probe_id"), sa.column("hour_ms"),
                 sa.column("categories", sa.JSON))
    for start in range(0, len(missing), 400):
        chunk = missing[start : start + 400]
        hour_rows = conn.execute(
            sa.select(t.c.probe_id, t.c.hour_ms, t.c.categories)
            .where(sa.tuple_(t.c.probe_id, t.c.hour_ms).in_(chunk))
        )
        for pid, hour, categories in hour_rows:
            p = probes[pid]
            p.last_failure_ms = int(hour)
            cats = dict(categories or {})
            p.last_failure_category = max(cats, key=lambda c: cats[c]) if cats else None
            p.last_failure_reason = None
