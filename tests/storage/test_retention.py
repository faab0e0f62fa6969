from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from probes.result import Category, RunStatus
from storage.codes import to_ms
from storage.database import Store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.reads.queries import nearest_rank
from storage.retention import RetentionReport, apply_retention
from storage.rollups.format import HOUR_MS, bucket_index, histogram_percentile
from storage.rollups.write import roll_up_completed_hours
from storage.schema import rollups_t
from tests.storage.factories import T0, result

NOW = T0 + timedelta(hours=6, minutes=20)
RAW_S = 3.5 * 3600  # boundary = floor_hour(NOW - 3.5 h) = T0 + 2 h
STATUSES = [RunStatus.OK, RunStatus.OK, RunStatus.DEGRADED, RunStatus.FAILED]
CATS = [Category.TIMEOUT, Category.SERVER_ERROR]


def _runs() -> list[tuple[int, int, RunStatus, Category | None]]:
    """(minute after T0, latency ms, status, category): one run every 10 minutes for 6 hours."""
    out = []
    for i in range(36):
        status = STATUSES[i % 4]
        cat = CATS[(i // 4) % 2] if status is RunStatus.FAILED else None
        out.append((10 * i, 20 + (i * 37) % 400, status, cat))
    return out


def _expected(runs: list[tuple[int, int, RunStatus, Category | None]], boundary_ms: int) -> dict:
    out: dict[int, dict[str, Any]] = {}
    for minute, latency, status, cat in runs:
        started = to_ms(T0 + timedelta(minutes=minute))
        if started >= boundary_ms:
            continue
        hour = started - started % HOUR_MS
        agg = out.setdefault(
            hour,
            {"count": 0, "ok": 0, "degraded": 0, "failed": 0, "lat": [], "categories": Counter()},
        )
        agg["count"] += 1
        agg[str(status)] += 1
        agg["lat"].append(latency * 1000)
        if cat:
            agg["categories"][str(cat)] += 1
    return {
        hour: {
            "count": a["count"],
            "ok": a["ok"],
            "degraded": a["degraded"],
            "failed": a["failed"],
            "latency_sum_us": sum(a["lat"]),
            "latency_min_us": min(a["lat"]),
            "latency_max_us": max(a["lat"]),
            "categories": dict(a["categories"]),
            "histogram": dict(Counter(str(bucket_index(x)) for x in a["lat"])),
        }
        for hour, a in out.items()
    }


def _rollups(store: Store) -> dict[int, dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rollups_t)).mappings().all()
    return {
        r["hour_ms"]: {k: v for k, v in r.items()
                       if k not in ("probe_id", "hour_ms") and not k.startswith("cum_")}
        for r in rows
    }


def _upkeep(store: Store, raw_s: float, rollup_s: float) -> tuple[int, RetentionReport]:
    """What `storage.upkeep` does: roll the complete hours up, then apply retention."""
    written = roll_up_completed_hours(store, NOW)
    return written, apply_retention(store, raw_s, rollup_s, now=NOW)


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def _write(store: Store, rows: list[tuple[int, int, RunStatus, Category | None]]) -> None:
    ids = sync_catalog(store, [("payments", "list", "http", {})])
    async with ResultWriter(store, ids, batch_size=10) as writer:
        for minute, latency, status, cat in rows:
            writer.submit(
                result(
                    at=T0 + timedelta(minutes=minute),
                    latency_ms=latency,
                    status=status,
                    category=cat,
                    steps=2,
                )
            )


async def test_retention_deletes_rolled_raw_runs_without_rolling_them_again(
    any_store: Store,
) -> None:
    runs = _runs()
    await _write(any_store, runs)
    boundary = to_ms(T0 + timedelta(hours=2))
    everything = _expected(runs, 2**62)
    assert len(everything) == 6

    written, report = _upkeep(any_store, RAW_S, 400 * 86400)
    assert report.raw_boundary_ms == boundary
    # every complete hour is rolled up (raw kept for hours >= boundary), only old raw deleted
    assert (report.runs_deleted, report.steps_deleted, written) == (12, 24, 6)
    assert _rollups(any_store) == everything
    assert _count(any_store, "runs") == 24 and _count(any_store, "run_steps") == 48

    written, again = _upkeep(any_store, RAW_S, 400 * 86400)
    assert (again.runs_deleted, written, again.rollups_deleted) == (0, 0, 0)
    assert _rollups(any_store) == everything

    # a run that arrives late for an hour whose raw runs are gone is added once, then deleted
    late = (5, 999, RunStatus.FAILED, Category.DNS)
    await _write(any_store, [late])
    written, report = _upkeep(any_store, RAW_S, 400 * 86400)
    assert (written, report.runs_deleted) == (1, 1)
    assert _rollups(any_store) == _expected([*runs, late], 2**62)
    _upkeep(any_store, RAW_S, 400 * 86400)
    assert _rollups(any_store) == _expected([*runs, late], 2**62)

    # rollups older than rollup retention go; the newer hours stay
    _written, gone = _upkeep(any_store, RAW_S, 4.5 * 3600)  # boundary T0 + 1 h
    assert gone.rollups_deleted == 1
    assert min(_rollups(any_store)) == to_ms(T0 + timedelta(hours=1))


def test_histogram_percentile_is_close_to_exact() -> None:
    values = [20_000 + (i * 7919) % 380_000 for i in range(500)]
    hist = Counter(str(bucket_index(v)) for v in values)
    for q in (50, 95, 99):
        exact = nearest_rank(values, q)
        approx = histogram_percentile(dict(hist), q, min(values), max(values))
        assert exact is not None and approx is not None
        assert exact <= approx <= exact * 1.25
