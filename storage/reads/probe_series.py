"""Dashboard read model: one probe's time series over [start_ms, end_ms) in fixed buckets.

Bucket k covers [start_ms + k·bucket_ms, start_ms + (k+1)·bucket_ms). Raw runs give exact
nearest-rank percentiles; hours that only survive as rollups (older than raw retention) give
approximate ones (`storage.rollups.format.histogram_percentile`, flagged `approximate`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from storage.codes import CATEGORY
from storage.database import Store
from storage.reads.analytics import json_value, rank
from storage.reads.queries import rank_sql
from storage.rollups.format import histogram_percentile


@dataclass(slots=True)
class LatencyPoint:
    start_ms: int
    count: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    approximate: bool = False


@dataclass(slots=True)
class FailedRun:
    started_ms: int
    latency_ms: float
    category: str | None
    reason: str | None


@dataclass(slots=True)
class StepPoint:
    """Mean time per run spent in one step (or one phase) within a bucket."""

    start_ms: int
    name: str
    mean_ms: float


@dataclass(slots=True)
class RateLimitPoint:
    start_ms: int
    min_headroom: float  # remaining / limit, 0..1, the tightest in the bucket
    limit: int
    remaining: int


@dataclass(slots=True)
class LifetimePoint:
    start_ms: int
    credential_ttl_s: float | None
    cert_days_left: float | None


@dataclass(slots=True)
class ProbeSeries:
    latency: list[LatencyPoint] = field(default_factory=list)
    failed_runs: list[FailedRun] = field(default_factory=list)
    steps: list[StepPoint] = field(default_factory=list)
    phases: list[StepPoint] = field(default_factory=list)
    categories: dict[int, Counter[str]] = field(default_factory=dict)  # bucket start -> counts
    rate_limit: list[RateLimitPoint] = field(default_factory=list)
    lifetimes: list[LifetimePoint] = field(default_factory=list)


PHASES = ("dns", "connect", "tls", "ttfb", "transfer")
PHASE_LABELS = {"dns": "DNS", "connect": "connect", "tls": "TLS", "ttfb": "first byte",
                "transfer": "transfer"}

_PERCENTILES = sa.text(
    f"""
    SELECT b, n, f, mx, rn, latency_us FROM (
        SELECT b, latency_us,
               row_number() OVER (PARTITION BY b ORDER BY latency_us) AS rn,
               count(*) OVER (PARTITION BY b) AS n,
               sum(CASE WHEN status = 2 THEN 1 ELSE 0 END) OVER (PARTITION BY b) AS f,
               max(latency_us) OVER (PARTITION BY b) AS mx
        FROM (SELECT (started_ms - :s) / :bm AS b, latency_us, status FROM runs
              WHERE probe_id = :p AND started_ms >= :s AND started_ms < :e) raw) q
    WHERE rn = {rank_sql(50)} OR rn = {rank_sql(95)} OR rn = {rank_sql(99)}
    ORDER BY b, rn
    """
)
_FAILED = sa.text(
    """
    SELECT started_ms, latency_us, category, reason FROM runs
    WHERE probe_id = :p AND started_ms >= :s AND started_ms < :e AND status = 2
    ORDER BY started_ms DESC LIMIT :limit
    """
)
_STEPS = sa.text(
    f"""
    SELECT b, st.name, min(st.idx), count(*), sum(coalesce(st.latency_us, 0)),
           {", ".join(f"sum(coalesce(st.{p}_us, 0))" for p in PHASES)},
           min(CASE WHEN st.rl_limit > 0 AND st.rl_remaining IS NOT NULL
                    THEN 1.0 * st.rl_remaining / st.rl_limit END),
           max(st.rl_limit)
    FROM (SELECT id, (started_ms - :s) / :bm AS b FROM runs
          WHERE probe_id = :p AND started_ms >= :s AND started_ms < :e) r
    JOIN run_steps st ON st.run_id = r.id
    GROUP BY b, st.name
    """
)
_RUNS_PER_BUCKET = sa.text(
    """
    SELECT (started_ms - :s) / :bm AS b, count(*),
           min(credential_ttl_s), min(cert_days_left)
    FROM runs WHERE probe_id = :p AND started_ms >= :s AND started_ms < :e
    GROUP BY (started_ms - :s) / :bm
    """
)
_CATEGORIES = sa.text(
    """
    SELECT (started_ms - :s) / :bm AS b, category, count(*) FROM runs
    WHERE probe_id = :p AND started_ms >= :s AND started_ms < :e AND category IS NOT NULL
    GROUP BY (started_ms - :s) / :bm, category
    """
)
_ROLLUPS = sa.text(
    """
    SELECT hour_ms, count, failed, latency_min_us, latency_max_us, histogram, categories
    FROM run_rollups_hourly WHERE probe_id = :p AND hour_ms >= :s AND hour_ms < :e
    ORDER BY hour_ms
    """
)


def probe_series(
    store: Store, probe_id: int, start_ms: int, end_ms: int, bucket_ms: int,
    *, failed_limit: int = 500,
) -> ProbeSeries:
    """Every chart's data for one probe (see the dataclasses above)."""
    bm = max(1, int(bucket_ms))
    params = {"p": probe_id, "s": start_ms, "e": end_ms, "bm": bm, "limit": failed_limit}
    out = ProbeSeries()
    with store.engine.connect() as conn:
        points: dict[int, LatencyPoint] = {}
        for b, n, f, mx, rn, lat in conn.execute(_PERCENTILES, params):
            pt = points.get(b)
            if pt is None:
                pt = points[b] = LatencyPoint(start_ms + int(b) * bm, int(n), int(f),
                                              None, None, None, mx / 1000.0)
            for q, attr in ((50, "p50_ms"), (95, "p95_ms"), (99, "p99_ms")):
                if rn == rank(q, n):
                    setattr(pt, attr, lat / 1000.0)
        runs_per_bucket: dict[int, int] = {}
        for b, n, ttl, cert in conn.execute(_RUNS_PER_BUCKET, params):
            runs_per_bucket[int(b)] = int(n)
            if ttl is not None or cert is not None:
                out.lifetimes.append(LifetimePoint(start_ms + int(b) * bm, ttl, cert))
        _steps(conn, params, runs_per_bucket, out, start_ms, bm)
        for b, cat, n in conn.execute(_CATEGORIES, params):
            key = start_ms + int(b) * bm
            out.categories.setdefault(key, Counter())[str(CATEGORY[cat])] += int(n)
        out.failed_runs = [
            FailedRun(int(s), lat / 1000.0, str(CATEGORY[c]) if c else None, reason)
            for s, lat, c, reason in conn.execute(_FAILED, params)
        ]
        _rollups(conn, params, points, out, start_ms, bm)
    out.latency = sorted(points.values(), key=lambda p: p.start_ms)
    out.lifetimes.sort(key=lambda p: p.start_ms)
    out.rate_limit.sort(key=lambda p: p.start_ms)
    out.failed_runs.reverse()
    return out


def _steps(
    conn: sa.Connection, params: dict[str, int], runs_per_bucket: dict[int, int],
    out: ProbeSeries, start_ms: int, bm: int,
) -> None:
    order: dict[str, int] = {}
    phase_sums: dict[int, list[float]] = {}
    tightest: dict[int, tuple[float, int]] = {}
    for row in conn.execute(_STEPS, params):
        b, name, idx, _n, total = int(row[0]), row[1], row[2], row[3], row[4]
        runs = runs_per_bucket.get(b) or 1
        key = start_ms + b * bm
        order[name] = min(order.get(name, idx), idx)
        out.steps.append(StepPoint(key, name, total / runs / 1000.0))
        sums = phase_sums.setdefault(key, [0.0] * len(PHASES))
        for i, value in enumerate(row[5 : 5 + len(PHASES)]):
            sums[i] += value / runs / 1000.0
        headroom, limit = row[5 + len(PHASES)], row[6 + len(PHASES)]
        if headroom is not None and (key not in tightest or headroom < tightest[key][0]):
            tightest[key] = (float(headroom), int(limit or 0))
    out.steps.sort(key=lambda s: (s.start_ms, order.get(s.name, 0)))
    for key in sorted(phase_sums):
        for phase, value in zip(PHASES, phase_sums[key], strict=True):
            out.phases.append(StepPoint(key, PHASE_LABELS[phase], value))
    out.rate_limit = [
        RateLimitPoint(key, h, limit, round(h * limit)) for key, (h, limit) in tightest.items()
    ]


def _rollups(
    conn: sa.Connection, params: dict[str, int], points: dict[int, LatencyPoint],
    out: ProbeSeries, start_ms: int, bm: int,
) -> None:
    """Hours older than raw retention: approximate percentiles and category counts."""
    merged: dict[int, tuple[int, int, int, int, Counter[str]]] = {}
    for hour, n, failed, lo, hi, histogram, categories in conn.execute(_ROLLUPS, params):
        b = (int(hour) - start_ms) // bm
        if b in points:  # a late raw run in an already rolled-up hour: keep the exact bucket
            continue
        c, f, mn, mx, hist = merged.get(b, (0, 0, 2**31, 0, Counter()))
        hist.update({k: int(v) for k, v in (json_value(histogram) or {}).items()})
        merged[b] = (c + int(n), f + int(failed), min(mn, int(lo)), max(mx, int(hi)), hist)
        key = start_ms + b * bm
        for cat, count in (json_value(categories) or {}).items():
            out.categories.setdefault(key, Counter())[str(cat)] += int(count)
    for b, (n, failed, lo, hi, hist) in merged.items():
        def pct(q: float, h: Counter[str] = hist, a: int = lo, z: int = hi) -> float | None:
            value = histogram_percentile(dict(h), q, a, z)
            return None if value is None else value / 1000.0
        points[b] = LatencyPoint(start_ms + b * bm, n, failed, pct(50), pct(95), pct(99),
                                 hi / 1000.0, approximate=True)


_FIRST_RUN = sa.text(
    """
    SELECT min(m) FROM (
        SELECT min(started_ms) AS m FROM runs WHERE probe_id = :p
        UNION ALL
        SELECT min(hour_ms) FROM run_rollups_hourly WHERE probe_id = :p) q
    """
)


def first_run_ms(store: Store, probe_id: int) -> int | None:
    """When the probe's recorded history starts: its oldest run, or the hour of its oldest
    rollup once raw runs are gone (None without either)."""
    with store.engine.connect() as conn:
        value = conn.execute(_FIRST_RUN, {"p": probe_id}).scalar_one_or_none()
    return None if value is None else int(value)
