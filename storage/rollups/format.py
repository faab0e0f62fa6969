"""The stored rollup format: whole hours (`HOUR_MS`), the latency histogram buckets, the `Rollup`
accumulator of one probe-hour and the approximate percentile read back from a histogram.

Rollups merge additively (counts and histograms add, min/max combine). Bucket bounds and their
indexes are part of the on-disk format: append only.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from storage.codes import CATEGORY

HOUR_MS = 3_600_000
# Latency histogram bucket upper bounds (µs): 1 ms · 1.25^k up to ~3 min; the last index
# (len(BUCKET_BOUNDS_US)) holds anything slower. Part of the stored format: append only.
BUCKET_BOUNDS_US: tuple[int, ...] = tuple(round(1000 * 1.25**k) for k in range(54))


def hour_floor(ms: int) -> int:
    """The start of the whole hour holding `ms`."""
    return ms - ms % HOUR_MS


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
    """One probe-hour of runs, as stored in `run_rollups_hourly` (without the running totals)."""

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
