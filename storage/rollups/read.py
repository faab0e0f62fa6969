"""Reading spans of hourly rollups through their running totals (`cum_*`, kept by
`storage.rollups.write`): the runs of hours [a, b) of a probe are `at(b) - at(a)`, where `at(x)`
is the running total of the probe's newest row before hour x. Two indexed lookups per probe,
whatever the span.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from storage.codes import CATEGORY
from storage.rollups.format import HOUR_MS
from storage.schema import probes_t, rollups_t


def json_value(value: Any) -> Any:
    """A JSON column read through a text query: decoded by the driver (PostgreSQL) or a string
    (SQLite)."""
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def last_rows_before(conn: sa.Connection, pids: list[int], hour: int) -> sa.CursorResult[Any]:
    """Each probe's newest rollup row before `hour` (probes without one are left out)."""
    r2 = rollups_t.alias("r2")
    newest = (sa.select(sa.func.max(r2.c.hour_ms))
              .where(r2.c.probe_id == probes_t.c.id, r2.c.hour_ms < hour).scalar_subquery())
    return conn.execute(sa.select(rollups_t).select_from(probes_t.join(
        rollups_t, (rollups_t.c.probe_id == probes_t.c.id) & (rollups_t.c.hour_ms == newest)
    )).where(probes_t.c.id.in_(pids)))


def _hist(value: Any) -> Counter[str]:
    return Counter({str(k): int(v) for k, v in (json_value(value) or {}).items()})


def _tot(values: Any, hist: Any = None) -> Totals:
    c, g, f, s = values
    return Totals(int(c), int(g), int(f), int(s), None if hist is None else _hist(hist))


@dataclass(slots=True)
class Totals:
    """Run counts and latency sum (and optionally the latency histogram) of a set of runs."""

    count: int = 0
    good: int = 0
    failed: int = 0
    latency_sum_us: int = 0
    histogram: Counter[str] | None = None  # None: not loaded

    def minus(self, other: Totals) -> Totals:
        hist = None
        if self.histogram is not None:
            hist = self.histogram - (other.histogram or Counter())
        return Totals(self.count - other.count, self.good - other.good,
                      self.failed - other.failed, self.latency_sum_us - other.latency_sum_us,
                      hist)


_CUM = "r.cum_count, r.cum_good, r.cum_failed, r.cum_latency_sum_us"
_EDGE = """
    SELECT r.probe_id, r.hour_ms, r.count, r.ok + r.degraded, r.failed, r.latency_sum_us,
           {cum}, {hist}
    FROM probes p JOIN run_rollups_hourly r ON r.probe_id = +p.id AND r.hour_ms = (
        SELECT {agg}(r2.hour_ms) FROM run_rollups_hourly r2 WHERE r2.probe_id = p.id)
    """


class CumIndex:
    """Each probe's first and last rollup row, and running totals at hour boundaries."""

    def __init__(self, conn: sa.Connection, with_hist: bool) -> None:
        self.conn = conn
        self.with_hist = with_hist
        hist = "r.histogram, r.cum_histogram" if with_hist else "NULL, NULL"
        self.first: dict[int, tuple[int, Totals]] = {}  # pid -> (hour, totals before it)
        self.last: dict[int, tuple[int, Totals]] = {}  # pid -> (hour, totals through it)
        for row in conn.execute(sa.text(_EDGE.format(cum=_CUM, hist=hist, agg="min"))):
            own = _tot(row[2:6], row[10])
            cum = _tot(row[6:10], row[11])
            self.first[row[0]] = (int(row[1]), cum.minus(own))
        for row in conn.execute(sa.text(_EDGE.format(cum=_CUM, hist=hist, agg="max"))):
            self.last[row[0]] = (int(row[1]), _tot(row[6:10], row[11]))

    def _totals(self, row: Any, hist_at: int) -> Totals:
        return _tot(row[2:6], row[6] if self.with_hist and hist_at else None)

    def at(self, xs: list[int], hist_xs: frozenset[int] = frozenset()) -> dict[int, dict[int,
                                                                                     Totals]]:
        """x -> probe -> running totals of the probe's newest row before hour x (x whole hours;
        histograms only for x in `hist_xs`). Probes without rollups are left out."""
        out: dict[int, dict[int, Totals]] = {x: {} for x in xs}
        need: dict[int, list[int]] = {}
        for pid, (first_hour, base) in self.first.items():
            last_hour, last = self.last[pid]
            for x in xs:
                if x <= first_hour:
                    out[x][pid] = base
                elif x > last_hour:
                    out[x][pid] = last
                else:
                    need.setdefault(x, []).append(pid)
        if not need:
            return out
        hours = ", ".join(str(int(x) - HOUR_MS) for x in need)
        hist = "r.cum_histogram" if self.with_hist and hist_xs else "NULL"
        pids = sorted({p for ps in need.values() for p in ps})
        for i in range(0, len(pids), 1000):
            chunk = ", ".join(str(int(p)) for p in pids[i : i + 1000])
            rows = self.conn.execute(sa.text(
                f"SELECT r.probe_id, r.hour_ms, {_CUM}, {hist} FROM run_rollups_hourly r "
                f"WHERE r.probe_id IN ({chunk}) AND r.hour_ms IN ({hours})"))
            for row in rows:
                x = int(row[1]) + HOUR_MS
                if x in need:
                    out[x][row[0]] = self._totals(row, int(x in hist_xs))
        for x, wanted in need.items():  # no row in the hour before x: the newest row before it
            missing = [p for p in wanted if p not in out[x]]
            for i in range(0, len(missing), 500):
                for m in last_rows_before(self.conn, missing[i : i + 500], x).mappings():
                    out[x][m["probe_id"]] = Totals(
                        int(m["cum_count"]), int(m["cum_good"]), int(m["cum_failed"]),
                        int(m["cum_latency_sum_us"]),
                        _hist(m["cum_histogram"]) if x in hist_xs else None)
        return out


    def sums_at(self, xs: list[int], group: dict[int, int]) -> dict[int, dict[int, list[int]]]:
        """x -> group -> [run count, latency sum] of the probes' running totals before hour x,
        summed per group (`group`: probe -> group) in SQL: one row per group and x."""
        out: dict[int, dict[int, list[int]]] = {x: {} for x in xs}
        need: dict[int, Counter[int]] = {x: Counter() for x in xs}
        for pid, (first_hour, base) in self.first.items():
            g = group.get(pid)
            if g is None:
                continue
            last_hour, last = self.last[pid]
            for x in xs:
                t = base if x <= first_hour else last if x > last_hour + HOUR_MS else None
                if t is None:  # its row in the hour before x (if any) is summed in SQL
                    need[x][g] += 1
                else:
                    acc = out[x].setdefault(g, [0, 0])
                    acc[0], acc[1] = acc[0] + t.count, acc[1] + t.latency_sum_us
        hours = ", ".join(str(int(x) - HOUR_MS) for x in xs)
        found: dict[tuple[int, int], tuple[int, int, int]] = {}
        for g, h, n, c, total in self.conn.execute(sa.text(
            f"SELECT p.integration_id, r.hour_ms, count(*), sum(r.cum_count), "
            f"sum(r.cum_latency_sum_us) FROM probes p JOIN run_rollups_hourly r "
            f"ON r.probe_id = +p.id AND r.hour_ms IN ({hours}) GROUP BY p.integration_id, "
            f"r.hour_ms")):
            found[(g, int(h) + HOUR_MS)] = (int(n), int(c), int(total))
        for x in xs:
            if any(found.get((g, x), (0, 0, 0))[0] != n for g, n in need[x].items()):
                out[x] = {}  # a probe without a row in the hour before x: per probe
                for pid, t in self.at([x])[x].items():
                    if pid in group:
                        acc = out[x].setdefault(group[pid], [0, 0])
                        acc[0], acc[1] = acc[0] + t.count, acc[1] + t.latency_sum_us
                continue
            for g in need[x]:
                _n, c, total = found[(g, x)]
                acc = out[x].setdefault(g, [0, 0])
                acc[0], acc[1] = acc[0] + c, acc[1] + total
        return out


def _pairs_sql(pairs: list[tuple[int, int]]) -> str:
    return ", ".join(f"({int(a)}, {int(b)})" for a, b in pairs)


def last_failures(
    conn: sa.Connection, probes: dict[int, Any], raw_fail: dict[int, int],
    rolled_fail: set[int], wr: int, since: int,
) -> None:
    """Time, category and reason of each probe's newest failed run: from raw runs (the tail's
    newest failure, else the newest failure inside the newest rolled-up hour with failures
    while its raw runs are kept), else that hour and its most frequent category."""
    exact = dict(raw_fail)
    rolled = sorted(p for p in rolled_fail if p not in raw_fail)
    hours: dict[int, int] = {}
    for i in range(0, len(rolled), 500):
        chunk = ", ".join(str(int(p)) for p in rolled[i : i + 500])
        hours.update((pid, int(h)) for pid, h in conn.execute(sa.text(
            f"SELECT p.id, (SELECT r.hour_ms FROM run_rollups_hourly r WHERE r.probe_id = p.id "
            f"AND r.hour_ms >= :a AND r.hour_ms < :b AND r.failed > 0 "
            f"ORDER BY r.hour_ms DESC LIMIT 1) FROM probes p WHERE p.id IN ({chunk})"),
            {"a": since, "b": wr}) if h is not None)
    pairs = list(hours.items())
    for i in range(0, len(pairs), 400):
        exact.update((pid, int(s)) for pid, s in conn.execute(sa.text(
            f"SELECT v.column1, (SELECT max(r.started_ms) FROM runs r "
            f"WHERE r.probe_id = v.column1 AND r.started_ms >= v.column2 "
            f"AND r.started_ms < v.column2 + {HOUR_MS} AND r.status = 2) "
            f"FROM (VALUES {_pairs_sql(pairs[i : i + 400])}) AS v")) if s is not None)
    found = list(exact.items())
    for i in range(0, len(found), 400):  # a VALUES join: row-value IN would scan `runs`
        rows = conn.execute(sa.text(
            f"SELECT r.probe_id, r.started_ms, r.category, r.reason "
            f"FROM (VALUES {_pairs_sql(found[i : i + 400])}) AS v JOIN runs r "
            f"ON r.probe_id = v.column1 AND r.started_ms = v.column2 WHERE r.status = 2"))
        for pid, started, category, reason in rows:
            p = probes[pid]
            p.last_failure_ms = int(started)
            p.last_failure_category = str(CATEGORY[category]) if category else None
            p.last_failure_reason = reason
    missing = [(pid, h) for pid, h in hours.items() if pid not in exact]
    for i in range(0, len(missing), 400):
        for pid, hour, categories in conn.execute(sa.text(
            f"SELECT r.probe_id, r.hour_ms, r.categories FROM (VALUES "
            f"{_pairs_sql(missing[i : i + 400])}) AS v JOIN run_rollups_hourly r "
            f"ON r.probe_id = v.column1 AND r.hour_ms = v.column2")):
            p = probes[pid]
            p.last_failure_ms = int(hour)
            cats = dict(json_value(categories) or {})
            p.last_failure_category = max(cats, key=lambda c: cats[c]) if cats else None
            p.last_failure_reason = None
