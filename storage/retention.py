"""Retention: raw runs older than `raw_retention` are rolled into hourly rollups, then deleted;
rollups older than `rollup_retention` are deleted.

The deletion boundary is aligned down to a whole hour, so every hour that loses raw runs is rolled
up completely. Rolling and deleting one probe's runs happen in one transaction, and rollups are
merged additively (counts and histograms add, min/max combine), so a re-run is a no-op and a run
that arrives late for an already-rolled hour is added, not lost.
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
            bound = BUCKET_BOUNDS_US[idx] if idx < len(BUCKET_BOUNDS_US) else (hi_us or 0)
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
    """Roll up and delete expired raw runs (one transaction per probe), then expire rollups."""
    t = to_ms(now) if now is not None else now_ms()
    raw_b = t - int(raw_retention_s * 1000)
    raw_b -= raw_b % HOUR_MS
    roll_b = t - int(rollup_retention_s * 1000)
    roll_b -= roll_b % HOUR_MS
    report = RetentionReport(raw_b, roll_b)
    with store.engine.connect() as conn:
        probe_ids = list(conn.execute(sa.select(probes_t.c.id).order_by(probes_t.c.id)).scalars())
    for pid in probe_ids:
        with store.write() as conn:
            _roll_probe(conn, pid, raw_b, report)
    with store.write() as conn:
        res = conn.execute(rollups_t.delete().where(rollups_t.c.hour_ms < roll_b))
        report.rollups_deleted = res.rowcount or 0
    return report


def _roll_probe(conn: sa.Connection, pid: int, boundary: int, report: RetentionReport) -> None:
    old = (runs_t.c.probe_id == pid) & (runs_t.c.started_ms < boundary)
    rows = conn.execute(
        sa.select(runs_t.c.started_ms, runs_t.c.status, runs_t.c.latency_us, runs_t.c.category)
        .where(old)
    )
    rollups = rollup_runs(pid, rows)
    if not rollups:
        return
    existing = conn.execute(
        sa.select(rollups_t).where(
            rollups_t.c.probe_id == pid, rollups_t.c.hour_ms.in_(list(rollups))
        )
    ).mappings()
    for row in existing:
        rollups[row["hour_ms"]].merge(row)
    conn.execute(
        rollups_t.delete().where(
            rollups_t.c.probe_id == pid, rollups_t.c.hour_ms.in_(list(rollups))
        )
    )
    conn.execute(rollups_t.insert(), [r.values() for r in rollups.values()])
    report.rollups_written += len(rollups)
    steps = conn.execute(
        run_steps_t.delete().where(run_steps_t.c.run_id.in_(sa.select(runs_t.c.id).where(old)))
    )
    report.steps_deleted += steps.rowcount or 0
    report.runs_deleted += conn.execute(runs_t.delete().where(old)).rowcount or 0
