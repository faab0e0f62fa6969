"""Read side: SQL aggregates for `seamwatch status`, alerts and the dashboard.

Percentiles are **nearest-rank**: for n latencies sorted ascending, pXX is the value at 1-based
rank ceil(XX/100 · n) — always an observed latency (p95 of 20 runs is the 19th smallest). They
cover every run in the window, failed ones included (a timeout is what callers experienced).
Windows are half-open on the left: (now - window, now]. Uptime is (ok + degraded) / all runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from probes.result import Category, RunStatus, StepStatus
from storage.codes import RUN_STATUS, STEP_STATUS, category_name, from_ms, from_us, to_ms
from storage.codes import now_ms as _now_ms
from storage.database import Store
from storage.rollups.format import HOUR_MS
from storage.schema import integrations_t, probes_t, run_steps_t

DAY_MS = 24 * HOUR_MS


def nearest_rank(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile `q` (0..100) of `values` (reference for the SQL below)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def rank_sql(q: int, n: str = "n") -> str:
    """1-based nearest rank ceil(q·n/100) in integer arithmetic (identical in SQLite and PG)."""
    return f"(({q} * {n} + 99) / 100)"


@dataclass(slots=True)
class ProbeStatus:
    probe_id: int
    integration: str
    probe: str
    kind: str
    last_started_at: datetime | None = None
    last_status: RunStatus | None = None
    last_category: Category | None = None
    last_reason: str | None = None
    last_message: str | None = None
    last_latency_ms: float | None = None
    last_run_id: int | None = None
    p95_latency_ms_1h: float | None = None
    runs_1h: int = 0
    uptime_24h: float | None = None  # percent, 0..100
    runs_24h: int = 0


def _now(now: datetime | None) -> int:
    return to_ms(now) if now is not None else _now_ms()


def probe_status(store: Store, now: datetime | None = None) -> list[ProbeStatus]:
    """One row per active (not retired) probe, ordered by integration and probe name."""
    t = _now(now)
    params = {"now": t, "hour": t - HOUR_MS, "day": t - DAY_MS}
    last_sql = sa.text(
        """
        SELECT p.id, i.name, p.name, p.kind, r.started_ms, r.id, r.status, r.category,
               r.reason, r.message, r.latency_us
        FROM probes p JOIN integrations i ON i.id = p.integration_id
        LEFT JOIN runs r ON r.probe_id = p.id AND r.started_ms = (
            SELECT max(r2.started_ms) FROM runs r2
            WHERE r2.probe_id = p.id AND r2.started_ms <= :now)
        WHERE p.retired_ms IS NULL
        ORDER BY i.name, p.name, r.id
        """
    )
    uptime_sql = sa.text(
        """
        SELECT r.probe_id, count(*), sum(CASE WHEN r.status < 2 THEN 1 ELSE 0 END)
        FROM probes p JOIN runs r
          ON r.probe_id = p.id AND r.started_ms > :day AND r.started_ms <= :now
        WHERE p.retired_ms IS NULL
        GROUP BY r.probe_id
        """
    )
    p95_sql = sa.text(
        f"""
        SELECT probe_id, latency_us, n FROM (
            SELECT r.probe_id, r.latency_us,
                   row_number() OVER (PARTITION BY r.probe_id ORDER BY r.latency_us) AS rn,
                   count(*) OVER (PARTITION BY r.probe_id) AS n
            FROM probes p JOIN runs r
              ON r.probe_id = p.id AND r.started_ms > :hour AND r.started_ms <= :now
            WHERE p.retired_ms IS NULL) q
        WHERE rn = {rank_sql(95)}
        """
    )
    out: dict[int, ProbeStatus] = {}
    with store.engine.connect() as conn:
        for pid, integ, name, kind, started, rid, status, cat, reason, msg, lat in conn.execute(
            last_sql, params
        ):
            row = ProbeStatus(pid, integ, name, kind)
            if started is not None:
                row.last_started_at = from_ms(started)
                row.last_run_id = rid
                row.last_status = RUN_STATUS[status]
                row.last_category = category_name(cat)
                row.last_reason, row.last_message = reason, msg
                row.last_latency_ms = from_us(lat)
            out[pid] = row  # the highest id wins when two runs share a millisecond
        for pid, total, good in conn.execute(uptime_sql, params):
            out[pid].runs_24h = int(total)
            out[pid].uptime_24h = 100.0 * int(good) / int(total)
        for pid, lat, n in conn.execute(p95_sql, params):
            out[pid].p95_latency_ms_1h = from_us(lat)
            out[pid].runs_1h = int(n)
    return list(out.values())


def probe_id(store: Store, integration: str, probe: str) -> int | None:
    stmt = (
        sa.select(probes_t.c.id)
        .join(integrations_t, integrations_t.c.id == probes_t.c.integration_id)
        .where(integrations_t.c.name == integration, probes_t.c.name == probe)
    )
    with store.engine.connect() as conn:
        return conn.execute(stmt).scalar_one_or_none()


@dataclass(slots=True)
class StepRow:
    idx: int
    name: str
    status: StepStatus
    http_status: int | None
    latency_ms: float | None
    dns_ms: float | None
    connect_ms: float | None
    tls_ms: float | None
    ttfb_ms: float | None
    transfer_ms: float | None
    rl_limit: int | None
    rl_remaining: int | None
    rl_reset_s: float | None
    rl_retry_after_s: float | None
    category: Category | None
    reason: str | None
    message: str | None


@dataclass(slots=True)
class RunRow:
    id: int
    started_at: datetime
    status: RunStatus
    latency_ms: float
    attempts: int
    location: str
    category: Category | None
    reason: str | None
    message: str | None
    failed_step: str | None
    degraded_reason: str | None
    credential_ttl_s: float | None
    cert_days_left: float | None
    steps: list[StepRow] = field(default_factory=list)


def recent_runs(
    store: Store, integration: str, probe: str, limit: int = 50, before: datetime | None = None
) -> list[RunRow]:
    """The probe's newest runs (newest first), each with its steps."""
    pid = probe_id(store, integration, probe)
    if pid is None:
        return []
    sql = sa.text(
        """
        SELECT r.id, r.started_ms, r.status, r.latency_us, r.attempts, l.name, r.category,
               r.reason, r.message, r.failed_step, r.degraded_reason, r.credential_ttl_s,
               r.cert_days_left
        FROM runs r LEFT JOIN locations l ON l.id = r.location_id
        WHERE r.probe_id = :p AND r.started_ms < :before
        ORDER BY r.started_ms DESC, r.id DESC LIMIT :limit
        """
    )
    before_ms = to_ms(before) if before is not None else 2**62
    with store.engine.connect() as conn:
        rows = conn.execute(sql, {"p": pid, "before": before_ms, "limit": limit})
        runs = [
            RunRow(rid, from_ms(st), RUN_STATUS[s], lat / 1000.0, att, loc or "", category_name(c),
                   reason, msg, fstep, dreason, ttl, cert)
            for rid, st, s, lat, att, loc, c, reason, msg, fstep, dreason, ttl, cert in rows
        ]
        by_id = {r.id: r for r in runs}
        if by_id:
            steps = conn.execute(
                sa.select(run_steps_t)
                .where(run_steps_t.c.run_id.in_(list(by_id)))
                .order_by(run_steps_t.c.run_id, run_steps_t.c.idx)
            ).mappings()
            for s in steps:
                by_id[s["run_id"]].steps.append(_step_row(s))
    return runs


def _step_row(s: sa.RowMapping) -> StepRow:
    return StepRow(
        s["idx"], s["name"], STEP_STATUS[s["status"]], s["http_status"], from_us(s["latency_us"]),
        from_us(s["dns_us"]), from_us(s["connect_us"]), from_us(s["tls_us"]),
        from_us(s["ttfb_us"]), from_us(s["transfer_us"]), s["rl_limit"], s["rl_remaining"],
        s["rl_reset_s"], s["rl_retry_after_s"], category_name(s["category"]), s["reason"],
        s["message"],
    )
