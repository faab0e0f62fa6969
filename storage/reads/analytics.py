"""Dashboard read model: the overview (one row per integration, with its probes).

Read from hourly rollups for hours before the rollup watermark W (`storage.rollups.write`), and from
raw runs only for runs started at or after W (the current hour or two) plus the queued late runs
not merged yet, so the cost barely depends on the range. Conventions:

* rolled-up hours count whole when they overlap a window or the range (as before for hours
  beyond raw retention); raw runs count when they are inside it;
* uptime is (ok + degraded) / all runs, exact under that convention;
* p50 / p95 are **approximate**: nearest rank over the merged latency histogram (rollup hours
  plus the raw tail binned the same way), reported as the bucket's upper bound (1 ms · 1.25^k,
  so at most 25 % above the exact value); `IntegrationOverview.approximate` says so;
* the sparkline's buckets are whole hours (a multiple of one hour, aligned to the hour);
* times are epoch milliseconds (UTC), latencies milliseconds (float) in the returned objects.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from storage.codes import RUN_STATUS, now_ms
from storage.database import Store
from storage.rollups.format import HOUR_MS, bucket_sql, histogram_percentile
from storage.rollups.read import CumIndex, Totals, json_value, last_failures
from storage.rollups.write import watermark

DAY_MS = 24 * HOUR_MS
UPTIME_WINDOWS: dict[str, int] = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}


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
    approximate: bool = True  # p50/p95 from latency histograms (see the module docstring)

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
# Runs not in any rollup row: raw runs from the watermark on, and queued late runs.
_TAIL = """
    (SELECT p.integration_id AS iid, r.probe_id, r.started_ms, r.status, r.latency_us
     FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :w AND r.started_ms <= :now
     UNION ALL
     SELECT p.integration_id, q.probe_id, q.started_ms, q.status, q.latency_us
     FROM rollup_late_runs q JOIN probes p ON p.id = q.probe_id
     WHERE q.started_ms < :w AND q.started_ms <= :now) t
"""
_TAIL_WINDOWS = sa.text(
    f"""
    SELECT probe_id,
           sum(CASE WHEN started_ms > :d1 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d1 AND status < 2 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d7 THEN 1 ELSE 0 END),
           sum(CASE WHEN started_ms > :d7 AND status < 2 THEN 1 ELSE 0 END),
           count(*), sum(CASE WHEN status < 2 THEN 1 ELSE 0 END),
           max(CASE WHEN status = 2 THEN started_ms END)
    FROM {_TAIL} WHERE started_ms > :d30 GROUP BY probe_id
    """
)
_TAIL_HIST = sa.text(
    f"""
    SELECT iid, {bucket_sql("latency_us")}, count(*), sum(CASE WHEN status = 2 THEN 1 ELSE 0 END)
    FROM {_TAIL} WHERE started_ms >= :s AND started_ms < :e
    GROUP BY iid, {bucket_sql("latency_us")}
    """
)
_TAIL_SPARK = sa.text(
    f"""
    SELECT iid, (started_ms - :o) / :bm, count(*), sum(latency_us)
    FROM {_TAIL} WHERE started_ms >= :s AND started_ms < :e
    GROUP BY iid, (started_ms - :o) / :bm
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


def _floor(ms: int) -> int:
    return ms - ms % HOUR_MS


def overview(
    store: Store,
    start_ms: int,
    end_ms: int,
    *,
    now: int | None = None,
    spark_points: int = 24,
) -> list[IntegrationOverview]:
    """Every integration (retired ones flagged) with its probes: uptime over 24 h / 7 d / 30 d
    before `now`, p50/p95 latency and run counts over [start_ms, end_ms), the last run and last
    failure, and a sparkline of mean latency over the range in at most about `spark_points`
    whole-hour buckets (see the module docstring for what is approximate)."""
    t = now if now is not None else now_ms()
    starts = {name: t - span for name, span in UPTIME_WINDOWS.items()}
    integrations: dict[int, IntegrationOverview] = {}
    probes: dict[int, ProbeOverview] = {}
    probe_integration: dict[int, int] = {}
    with store.engine.connect() as conn:
        if not store.is_sqlite:  # one snapshot: a roll-up committing meanwhile changes nothing
            conn.execution_options(isolation_level="REPEATABLE READ")
        for pid, iid, iname, desc, tags, iret, pname, kind, pret in conn.execute(_CATALOG):
            integ = integrations.get(iid)
            if integ is None:
                integ = integrations[iid] = IntegrationOverview(
                    iname, desc, list(json_value(tags) or []), iret)
            probe = probes[pid] = ProbeOverview(pid, iname, pname, kind, pret)
            integ.probes.append(probe)
            probe_integration[pid] = iid
        w = watermark(conn) or 0
        wr = min(w, _floor(t + HOUR_MS - 1))  # rolled-up hours before this count (none after `now`)
        bm = HOUR_MS * max(1, -(-(end_ms - start_ms) // (max(1, spark_points) * HOUR_MS)))
        rs, re_ = _floor(start_ms), min(wr, _floor(end_ms + HOUR_MS - 1))
        cuts = sorted({min(max(rs + k * bm, rs), re_) for k in range((re_ - rs) // bm + 2)}
                      if re_ > rs else set())
        win = {name: min(_floor(d), wr) for name, d in starts.items()}
        idx = CumIndex(conn, with_hist=re_ > rs)
        cum = idx.at(sorted({wr, *win.values(), rs, re_}), frozenset({rs, re_}))
        rolled_fail = _rolled(probes, cum, wr, win)
        params = {"w": w, "now": t, "d1": starts["24h"], "d7": starts["7d"], "d30": starts["30d"]}
        raw_fail: dict[int, int] = {}
        for row in conn.execute(_TAIL_WINDOWS, params):
            if row[0] in probes:
                _add_windows(probes[row[0]], row[1:7])
                if row[7] is not None:
                    raw_fail[row[0]] = int(row[7])
        hists = _range(integrations, probe_integration, cum, rs, re_)
        rparams = {**params, "s": start_ms, "e": end_ms, "o": rs, "bm": bm}
        for iid, k, n, failed in conn.execute(_TAIL_HIST, rparams):
            integrations[iid].runs_in_range += int(n)
            integrations[iid].failed_in_range += int(failed)
            hists.setdefault(iid, Counter())[str(k)] += int(n)
        for iid, h in hists.items():
            p50, p95 = histogram_percentile(h, 50), histogram_percentile(h, 95)
            integrations[iid].p50_ms = None if p50 is None else p50 / 1000.0
            integrations[iid].p95_ms = None if p95 is None else p95 / 1000.0
        spark = _spark(idx, probe_integration, cuts, rs, bm)
        for iid, b, n, total in conn.execute(_TAIL_SPARK, rparams):
            acc = spark.setdefault((iid, rs + int(b) * bm), [0, 0])
            acc[0], acc[1] = acc[0] + int(n), acc[1] + int(total)
        for (iid, key), (n, total) in spark.items():
            if n > 0:
                integrations[iid].spark.append((key, total / n / 1000.0))
        for pid, started, status, latency in conn.execute(_LAST_RUN, params):
            if pid in probes:
                p = probes[pid]
                p.last_run_ms, p.last_status = int(started), str(RUN_STATUS[status])
                p.last_latency_ms = latency / 1000.0
        for pid, (hour, _t) in idx.last.items():  # raw runs gone: the newest rollup's hour
            if pid in probes and probes[pid].last_run_ms is None:
                probes[pid].last_run_ms = hour
        last_failures(conn, probes, raw_fail, rolled_fail, wr, win["30d"])
    for integ in integrations.values():
        integ.spark.sort()
        for p in integ.probes:
            for name, up in p.uptime.items():
                integ.uptime[name].add(up)
    return sorted(integrations.values(), key=lambda i: i.name)


def _add_windows(probe: ProbeOverview, values: Any) -> None:
    n1, g1, n7, g7, n30, g30 = values
    for name, n, g in (("24h", n1, g1), ("7d", n7, g7), ("30d", n30, g30)):
        probe.uptime[name].add(Uptime(int(n or 0), int(g or 0)))


def _rolled(
    probes: dict[int, ProbeOverview], cum: dict[int, dict[int, Totals]], wr: int,
    win: dict[str, int],
) -> set[int]:
    """Rolled-up uptime per window; returns the probes with a rolled-up failure in 30 d."""
    failing: set[int] = set()
    for pid, through in cum[wr].items():
        if pid not in probes:
            continue
        for name, x in win.items():
            span = through.minus(cum[x][pid])
            probes[pid].uptime[name].add(Uptime(span.count, span.good))
            if name == "30d" and span.failed > 0:
                failing.add(pid)
    return failing


def _range(
    integrations: dict[int, IntegrationOverview], probe_integration: dict[int, int],
    cum: dict[int, dict[int, Totals]], rs: int, re_: int,
) -> dict[int, Counter[str]]:
    hists: dict[int, Counter[str]] = {}
    if re_ <= rs:
        return hists
    for pid, through in cum[re_].items():
        iid = probe_integration.get(pid)
        if iid is None:
            continue
        span = through.minus(cum[rs][pid])
        integrations[iid].runs_in_range += span.count
        integrations[iid].failed_in_range += span.failed
        hists.setdefault(iid, Counter()).update(span.histogram or {})
    return hists


def _spark(
    idx: CumIndex, probe_integration: dict[int, int], cuts: list[int], rs: int, bm: int,
) -> dict[tuple[int, int], list[int]]:
    out: dict[tuple[int, int], list[int]] = {}
    sums = idx.sums_at(cuts, probe_integration) if cuts else {}
    for a, b in itertools.pairwise(cuts):
        key = rs + (a - rs) // bm * bm
        for iid, (n, total) in sums[b].items():
            lo = sums[a].get(iid, [0, 0])
            acc = out.setdefault((iid, key), [0, 0])
            acc[0], acc[1] = acc[0] + n - lo[0], acc[1] + total - lo[1]
    return out
