"""Retention: raw runs older than `raw_retention` are deleted once they are rolled up (hourly
rollups are produced continuously by `storage.rollups`); rollups older than `rollup_retention` are
deleted. Also the rollup format: latency histogram buckets and the `Rollup` accumulator.

Boundaries are aligned down to whole hours. Rollups merge additively (counts and histograms add,
min/max combine).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.codes import CATEGORY, now_ms, to_ms
from storage.engine import Store
from storage.models import probes_t, rollups_t, run_steps_t, runs_t

HOUR_MS = 3_600_000
# Latency histogram bucket upper bounds (µs): 1 ms · 1.25^k up to ~3 min; the last index
# (len(BUCKET_BOUNDS_US)) holds anything slower. Part of the stored format: append only.
BUCKET_BOUNDS_US: tuple[int, ...] = tuple(round(1000 * 1.25**k) for k in range(54))


def bucket_index(latency_us: int) -> int:
    """Index of the first bucket whose upper bound is >= latency_us."""
    return bisect_left(BUCKET_BOUNDS_US, latency_us)


def bucket_sql(column: str, lo: int = 0, hi: int = len(BUCKET_BOUNDS_US)) -> str:
    """A SQL expression equal to `bucket_index(column)` (a balanced CASE over the bounds)."""
    if lo == hi:
        return str(lo)
    mid = (lo + hi) // 2
    return (f"CASE WHEN {column} <= {BUCKET_BOUNDS_US[mid]} THEN {bucket_sql(column, lo, mid)} "
            f"ELSE {bucket_sql(column, mid + 1, hi)} END")


def histogram_percentile(
    histogram: dict[str, int], q: float, lo_us: int | None = None, hi_us: int | None = None
) -> float | None:
    """Approximate nearest-rank percentile (µs) from a rollup histogram: the upper bound of the
    bucket holding rank ceil(q/100·n), clamped to the rollup's [min, max] (error ≤ 25 %)."""
    counts = sorted((int(k), v) for k, v in histogram.items() if v)
    total = sum(v for _, v in counts)
    if not total:
        return None
    rank, seen = max(1, math.ceil(q / 100 * total)), 0
    for idx, n in counts:
        seen += n
        if seen >= rank:
            bound = (BUCKET_BOUNDS_US[idx] if idx < len(BUCKET_BOUNDS_US)
                     else hi_us if hi_us is not None else BUCKET_BOUNDS_US[-1])
            if hi_us is not None:
                bound = min(bound, hi_us)
            if lo_us is not None:
                bound = max(bound, lo_us)
            return float(bound)
    return None


@dataclass(slots=True)
class Rollup:
    probe_id: int
    hour_ms: int
    count: int = 0
    ok: int = 0
    degraded: int = 0
    failed: int = 0
    latency_sum_us: int = 0
    latency_min_us: int = 2**31 - 1
    latency_max_us: int = 0
    histogram: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)

    def add_run(self, status: int, latency_us: int, category: int | None) -> None:
        self.count += 1
        if status == 0:
            self.ok += 1
        elif status == 1:
            self.degraded += 1
        else:
            self.failed += 1
        self.latency_sum_us += latency_us
        self.latency_min_us = min(self.latency_min_us, latency_us)
        self.latency_max_us = max(self.latency_max_us, latency_us)
        self.histogram[str(bucket_index(latency_us))] += 1
        if category is not None:
            self.categories[str(CATEGORY[category])] += 1

    def merge(self, row: sa.RowMapping) -> None:
        self.count += row["count"]
        self.ok += row["ok"]
        self.degraded += row["degraded"]
        self.failed += row["failed"]
        self.latency_sum_us += row["latency_sum_us"]
        self.latency_min_us = min(self.latency_min_us, row["latency_min_us"])
        self.latency_max_us = max(self.latency_max_us, row["latency_max_us"])
        self.histogram.update(row["histogram"])
        self.categories.update(row["categories"])

    def values(self) -> dict[str, Any]:
        return {
            "probe_id": self.probe_id, "hour_ms": self.hour_ms, "count": self.count,
            "ok": self.ok, "degraded": self.degraded, "failed": self.failed,
            "latency_sum_us": self.latency_sum_us, "latency_min_us": self.latency_min_us,
            "latency_max_us": self.latency_max_us,
            "histogram": dict(sorted(self.histogram.items())),
            "categories": dict(sorted(self.categories.items())),
        }


def rollup_runs(probe_id: int, rows: Any) -> dict[int, Rollup]:
    """(started_ms, status, latency_us, category) rows -> rollups by hour."""
    out: dict[int, Rollup] = {}
    for started, status, latency, category in rows:
        hour = started - started % HOUR_MS
        rollup = out.get(hour)
        if rollup is None:
            rollup = out[hour] = Rollup(probe_id, hour)
        rollup.add_run(status, latency, category)
    return out


@dataclass(slots=True)
class RetentionReport:
    raw_boundary_ms: int
    rollup_boundary_ms: int
    runs_deleted: int = 0
    steps_deleted: int = 0
    rollups_written: int = 0
    rollups_deleted: int = 0


def apply_retention(
    store: Store,
    raw_retention_s: float,
    rollup_retention_s: float,
    now: datetime | None = None,
) -> RetentionReport:
    """Roll up every complete hour (`storage.rollups`), then delete raw runs older than raw
    retention (one transaction per probe) and rollups older than rollup retention.

    Raw runs are deleted only below the rollup watermark, where each of them is already counted
    in a rollup row (rolled when the watermark passed its hour, or queued as a late run by the
    insert trigger and merged), so deleting them never changes the rollups and nothing is rolled
    twice."""
    from storage.rollups import roll_up_completed_hours, watermark

    t = to_ms(now) if now is not None else now_ms()
    raw_b = t - int(raw_retention_s * 1000)
    raw_b -= raw_b % HOUR_MS
    roll_b = t - int(rollup_retention_s * 1000)
    roll_b -= roll_b % HOUR_MS
    report = RetentionReport(raw_b, roll_b)
    report.rollups_written = roll_up_completed_hours(store, t)
    with store.engine.connect() as conn:
        boundary = min(raw_b, watermark(conn) or 0)
        probe_ids = list(conn.execute(sa.select(probes_t.c.id).order_by(probes_t.c.id)).scalars())
    for pid in probe_ids:
        with store.write() as conn:
            old = (runs_t.c.probe_id == pid) & (runs_t.c.started_ms < boundary)
            steps = conn.execute(run_steps_t.delete().where(
                run_steps_t.c.run_id.in_(sa.select(runs_t.c.id).where(old))))
            report.steps_deleted += steps.rowcount or 0
            report.runs_deleted += conn.execute(runs_t.delete().where(old)).rowcount or 0
    with store.write() as conn:
        res = conn.execute(rollups_t.delete().where(rollups_t.c.hour_ms < roll_b))
        report.rollups_deleted = res.rowcount or 0
    return report
