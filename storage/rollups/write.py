"""Continuous hourly rollups: every complete hour is aggregated into `run_rollups_hourly` while
the raw runs stay (raw retention deletes them later, without rolling them again).

Watermark: `rollup_state.rolled_through_ms` (W). Every raw run with started_ms < W is counted in
a rollup row exactly once; hours >= W are read from raw runs. W only advances, to whole hours
that ended at least `SETTLE_MS` ago, in transactions that read, roll and advance it together
(SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE`, which
waits for in-flight run inserts and holds new ones until commit), so two processes rolling at
once cannot count an hour twice.

Late runs (started before W when inserted: clock skew, a runner that was offline): a trigger on
`runs` (migration 0003) copies them into `rollup_late_runs` in the inserting transaction; the
next roll-up adds them to their hour's row (creating it if needed) and dequeues them in one
transaction. Until then they are in raw `runs` but in no rollup; `storage.reads.analytics` counts
the queue too, so totals stay exact. A late run for an hour whose rollup retention already expired
recreates that hour's row, which the next retention pass deletes again.

Each row carries running totals (`cum_*`: this hour and every earlier row of the probe), kept
consistent whenever an earlier row changes, so a span of hours is a difference of two rows.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.codes import CATEGORY, now_ms, to_ms
from storage.database import Store
from storage.rollups.format import HOUR_MS, Rollup, bucket_sql, hour_floor
from storage.rollups.read import last_rows_before
from storage.schema import late_runs_t, rollup_state_t, rollups_t

SETTLE_MS = 120_000  # an hour is rolled up once it ended this long ago (batching, timeouts)
ROWS_PER_TRANSACTION = 60_000  # raw runs rolled per write transaction (then the lock is freed)
CUM_INT = ("cum_count", "cum_good", "cum_failed", "cum_latency_sum_us")

_FIRST_RAW = sa.text(
    "SELECT min((SELECT min(r.started_ms) FROM runs r WHERE r.probe_id = p.id "
    "AND r.started_ms >= :w)) FROM probes p"
)
_HOUR_TOTALS = sa.text(
    """
    SELECT r.probe_id, (r.started_ms / 3600000) * 3600000 AS h, count(*),
           sum(CASE WHEN r.status = 0 THEN 1 ELSE 0 END),
           sum(CASE WHEN r.status = 1 THEN 1 ELSE 0 END),
           sum(CASE WHEN r.status >= 2 THEN 1 ELSE 0 END),
           sum(r.latency_us), min(r.latency_us), max(r.latency_us)
    FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :a AND r.started_ms < :b
    GROUP BY r.probe_id, (r.started_ms / 3600000) * 3600000
    """
)
_HOUR_HIST = sa.text(
    f"""
    SELECT r.probe_id, (r.started_ms / 3600000) * 3600000 AS h,
           {bucket_sql("r.latency_us")} AS k, count(*)
    FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :a AND r.started_ms < :b
    GROUP BY r.probe_id, (r.started_ms / 3600000) * 3600000, {bucket_sql("r.latency_us")}
    """
)
_HOUR_CATS = sa.text(
    """
    SELECT r.probe_id, (r.started_ms / 3600000) * 3600000 AS h, r.category, count(*)
    FROM probes p JOIN runs r ON r.probe_id = +p.id AND r.started_ms >= :a AND r.started_ms < :b
    WHERE r.category IS NOT NULL
    GROUP BY r.probe_id, (r.started_ms / 3600000) * 3600000, r.category
    """
)


def _ms(now: datetime | int | None) -> int:
    if now is None:
        return now_ms()
    return now if isinstance(now, int) else to_ms(now)


@contextlib.contextmanager
def locked(store: Store) -> Iterator[tuple[sa.Connection, int | None]]:
    """A write transaction that excludes run inserts and other roll-ups; yields the watermark."""
    with store.write() as conn:
        if not store.is_sqlite:
            conn.execute(sa.text("LOCK TABLE runs IN SHARE ROW EXCLUSIVE MODE"))
        w = conn.execute(sa.select(rollup_state_t.c.rolled_through_ms)
                         .where(rollup_state_t.c.id == 1).with_for_update()).scalar()
        yield conn, None if w is None else int(w)


def watermark(conn: sa.Connection) -> int | None:
    w = conn.execute(sa.select(rollup_state_t.c.rolled_through_ms)
                     .where(rollup_state_t.c.id == 1)).scalar()
    return None if w is None else int(w)


def _set_watermark(conn: sa.Connection, w: int) -> None:
    conn.execute(rollup_state_t.update().where(rollup_state_t.c.id == 1)
                 .values(rolled_through_ms=w))


def roll_up_completed_hours(
    store: Store, now: datetime | int | None = None, *, settle_ms: int = SETTLE_MS
) -> int:
    """Roll every complete hour (ended `settle_ms` before `now`) that is not rolled up yet, and
    the queued late runs, into `run_rollups_hourly`, keeping raw runs. Idempotent; returns the
    number of rollup rows written. Several transactions of about ROWS_PER_TRANSACTION runs."""
    target = hour_floor(_ms(now) - settle_ms)
    written = 0
    while True:
        with locked(store) as (conn, w):
            written += merge_late_runs(conn)
            if w is None or w < target:
                first = conn.execute(_FIRST_RAW, {"w": w or 0}).scalar()
                if first is None or int(first) >= target:
                    _set_watermark(conn, max(w or 0, target))
                    return written
                start = max(w or 0, hour_floor(int(first)))
                upto, n = _roll_hours(conn, start, target)
                written += n
                _set_watermark(conn, upto)
                if upto < target:
                    continue
            return written


def _roll_hours(conn: sa.Connection, start: int, target: int) -> tuple[int, int]:
    """Roll hours from `start` until `target` or the transaction's row budget; returns (the
    hour rolled up to, rows written)."""
    rollups: dict[tuple[int, int], Rollup] = {}
    end, runs = start, 0
    while end < target and runs < ROWS_PER_TRANSACTION:
        params = {"a": end, "b": end + HOUR_MS}
        for pid, h, n, ok, deg, failed, total, lo, hi in conn.execute(_HOUR_TOTALS, params):
            rollups[(pid, int(h))] = Rollup(pid, int(h), int(n), int(ok), int(deg), int(failed),
                                            int(total), int(lo), int(hi))
            runs += int(n)
        for pid, h, k, n in conn.execute(_HOUR_HIST, params):
            rollups[(pid, int(h))].histogram[str(k)] += int(n)
        for pid, h, cat, n in conn.execute(_HOUR_CATS, params):
            rollups[(pid, int(h))].categories[str(CATEGORY[cat])] += int(n)
        end += HOUR_MS
        if not any(h == end - HOUR_MS for _pid, h in rollups):  # a gap: jump to the next run
            nxt = conn.execute(_FIRST_RAW, {"w": end}).scalar()
            end = target if nxt is None else max(end, min(target, hour_floor(int(nxt))))
    return end, write_rollups(conn, rollups)


def merge_late_runs(conn: sa.Connection) -> int:
    """Add queued late runs to their hours' rows and dequeue them (under `locked`)."""
    rows = conn.execute(sa.select(late_runs_t.c.run_id, late_runs_t.c.probe_id,
                                  late_runs_t.c.started_ms, late_runs_t.c.status,
                                  late_runs_t.c.latency_us, late_runs_t.c.category)).all()
    if not rows:
        return 0
    rollups: dict[tuple[int, int], Rollup] = {}
    for _id, pid, started, status, latency, category in rows:
        hour = hour_floor(int(started))
        r = rollups.get((pid, hour)) or rollups.setdefault((pid, hour), Rollup(pid, hour))
        r.add_run(status, latency, category)
    n = write_rollups(conn, rollups)
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), 500):
        conn.execute(late_runs_t.delete().where(late_runs_t.c.run_id.in_(ids[i : i + 500])))
    return n


def write_rollups(conn: sa.Connection, rollups: dict[tuple[int, int], Rollup]) -> int:
    """Add `rollups` to the stored rows (merging into existing ones) and bring the running
    totals of each touched probe up to date from its earliest touched hour."""
    if not rollups:
        return 0
    keys = list(rollups)
    for i in range(0, len(keys), 400):
        cond = sa.tuple_(rollups_t.c.probe_id, rollups_t.c.hour_ms).in_(keys[i : i + 400])
        for row in conn.execute(sa.select(rollups_t).where(cond)).mappings():
            rollups[(row["probe_id"], row["hour_ms"])].merge(row)
        conn.execute(rollups_t.delete().where(cond))
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for pid, hour in keys:
        first[pid] = min(first.get(pid, hour), hour)
        last[pid] = max(last.get(pid, hour), hour)
    running: dict[int, Cum] = _cum_before(conn, first)
    values = []
    for (pid, _hour), r in sorted(rollups.items(), key=lambda kv: kv[0][1]):
        running[pid] = _accumulate(running.get(pid), r)
        values.append({**r.values(), **_cum_values(running[pid])})
    conn.execute(rollups_t.insert(), values)
    for pid in _probes_with_rows_after(conn, last):
        rechain(conn, pid, first[pid])
    return len(rollups)


Cum = tuple[int, int, int, int, Counter[str]]


def _accumulate(base: Cum | None, r: Rollup | sa.RowMapping) -> Cum:
    c, g, f, s, h = base or (0, 0, 0, 0, Counter())
    hist = Counter(h)
    if isinstance(r, Rollup):
        hist.update(r.histogram)
        return (c + r.count, g + r.ok + r.degraded, f + r.failed, s + r.latency_sum_us, hist)
    hist.update(r["histogram"])
    return (c + r["count"], g + r["ok"] + r["degraded"], f + r["failed"],
            s + r["latency_sum_us"], hist)


def _cum_values(cum: Cum) -> dict[str, Any]:
    return {**dict(zip(CUM_INT, cum[:4], strict=True)),
            "cum_histogram": dict(sorted(cum[4].items()))}


def _cum_of(row: sa.RowMapping) -> Cum:
    return (*(int(row[c]) for c in CUM_INT),  # type: ignore[return-value]
            Counter({str(k): int(v) for k, v in (row["cum_histogram"] or {}).items()}))


def _by_hour(hours: dict[int, int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for pid, hour in hours.items():
        out.setdefault(hour, []).append(pid)
    return out


def _cum_before(conn: sa.Connection, first: dict[int, int]) -> dict[int, Cum]:
    """Running totals of each probe's last row before its hour in `first`."""
    out: dict[int, Cum] = {}
    for hour, pids in _by_hour(first).items():
        for i in range(0, len(pids), 500):
            for row in last_rows_before(conn, pids[i : i + 500], hour).mappings():
                out[row["probe_id"]] = _cum_of(row)
    return out


def _probes_with_rows_after(conn: sa.Connection, last: dict[int, int]) -> set[int]:
    out: set[int] = set()
    for hour, pids in _by_hour(last).items():
        for i in range(0, len(pids), 500):
            out.update(conn.execute(sa.select(rollups_t.c.probe_id).distinct().where(
                rollups_t.c.probe_id.in_(pids[i : i + 500]), rollups_t.c.hour_ms > hour)
            ).scalars())
    return out


def rechain(conn: sa.Connection, probe_id: int, from_hour: int) -> None:
    """Recompute the running totals of the probe's rows from `from_hour` on."""
    running = _cum_before(conn, {probe_id: from_hour}).get(probe_id)
    rows = conn.execute(sa.select(rollups_t).where(
        rollups_t.c.probe_id == probe_id, rollups_t.c.hour_ms >= from_hour
    ).order_by(rollups_t.c.hour_ms)).mappings().all()
    for row in rows:
        running = _accumulate(running, row)
        if _cum_of(row) != running:
            conn.execute(rollups_t.update().where(
                rollups_t.c.probe_id == probe_id, rollups_t.c.hour_ms == row["hour_ms"]
            ).values(**_cum_values(running)))
