"""A six-hour run history of one probe (one run every 10 minutes, every status, two categories)
and the rollups it must produce, shared by the rollup, retention and upkeep tests."""

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
from storage.rollups.format import HOUR_MS, bucket_index
from storage.schema import rollups_t
from tests.storage.factories import T0, result

NOW = T0 + timedelta(hours=6, minutes=20)
STATUSES = [RunStatus.OK, RunStatus.OK, RunStatus.DEGRADED, RunStatus.FAILED]
CATS = [Category.TIMEOUT, Category.SERVER_ERROR]


def six_hours() -> list[tuple[int, int, RunStatus, Category | None]]:
    """(minute after T0, latency ms, status, category): one run every 10 minutes for 6 hours."""
    out = []
    for i in range(36):
        status = STATUSES[i % 4]
        cat = CATS[(i // 4) % 2] if status is RunStatus.FAILED else None
        out.append((10 * i, 20 + (i * 37) % 400, status, cat))
    return out


def expected(runs: list[tuple[int, int, RunStatus, Category | None]], boundary_ms: int) -> dict:
    """The rollup rows the runs started before `boundary_ms` must produce, by hour."""
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


def stored_rollups(store: Store) -> dict[int, dict[str, Any]]:
    """The rollup rows by hour, without their running totals."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rollups_t)).mappings().all()
    return {
        r["hour_ms"]: {k: v for k, v in r.items()
                       if k not in ("probe_id", "hour_ms") and not k.startswith("cum_")}
        for r in rows
    }


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def write(store: Store, rows: list[tuple[int, int, RunStatus, Category | None]]) -> None:
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
