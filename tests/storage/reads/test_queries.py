from __future__ import annotations

import random
from datetime import timedelta

from probes.result import Category, RunStatus
from storage.database import Store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.reads.queries import (
    nearest_rank,
    probe_status,
    recent_runs,
)
from tests.storage.factories import T0, result

NOW = T0 + timedelta(days=2)
OK, DEG, FAIL = RunStatus.OK, RunStatus.DEGRADED, RunStatus.FAILED


def _seed() -> list[tuple[float, float, RunStatus, Category | None]]:
    """(minutes before NOW, latency ms, status, category) for payments/list."""
    rows: list[tuple[float, float, RunStatus, Category | None]] = []
    for k in range(1, 21):  # last hour: latencies 10..200 ms
        status = FAIL if k in (1, 7) else DEG if k == 3 else OK
        rows.append((2 * k, 10.0 * k, status, Category.TIMEOUT if status is FAIL else None))
    rows.append((60, 1000.0, OK, None))  # exactly 1 h ago: outside (now-1h, now], inside 24 h
    for k in range(9):  # between 1 h and 24 h: 3 failures
        status = FAIL if k < 3 else OK
        rows.append((120 + 60 * k, 50.0, status, Category.SERVER_ERROR if status is FAIL else None))
    rows += [(25 * 60, 5.0, FAIL, Category.DNS)] * 4  # older than 24 h
    rows.append((-1, 7.0, OK, None))  # after NOW: ignored when asking "as of NOW"
    return rows


async def _load(store: Store) -> dict[str, int]:
    ids = sync_catalog(
        store,
        [
            ("payments", "list", "http", {}),
            ("payments", "empty", "http", {}),
            ("old", "gone", "http", {}),
        ],
    )
    rows = _seed()
    random.Random(3).shuffle(rows)
    async with ResultWriter(store, ids, batch_size=7) as writer:
        for minutes, latency, status, category in rows:
            writer.submit(
                result(
                    "payments",
                    "list",
                    at=NOW - timedelta(minutes=minutes),
                    latency_ms=latency,
                    status=status,
                    category=category,
                )
            )
        writer.submit(result("old", "gone", at=NOW - timedelta(minutes=5)))
    return sync_catalog(
        store, [("payments", "list", "http", {}), ("payments", "empty", "http", {})]
    )


async def test_probe_status_exact_p95_uptime_and_last_run(any_store: Store) -> None:
    ids = await _load(any_store)
    rows = {f"{r.integration}/{r.probe}": r for r in probe_status(any_store, now=NOW)}
    assert set(rows) == {"payments/list", "payments/empty"}  # retired probe left out

    st = rows["payments/list"]
    assert st.probe_id == ids["payments/list"] and st.kind == "http"
    # nearest rank: ceil(0.95 * 20) = 19th of 10, 20, …, 200 ms
    assert st.runs_1h == 20 and st.p95_latency_ms_1h == 190.0
    assert nearest_rank([10.0 * k for k in range(1, 21)], 95) == 190.0
    # 24 h: 20 + 1 + 9 = 30 runs, 2 + 3 failed -> 25 up (degraded counts as up)
    assert st.runs_24h == 30 and st.uptime_24h is not None
    assert abs(st.uptime_24h - 100 * 25 / 30) < 1e-9
    assert st.last_started_at == NOW - timedelta(minutes=2)
    assert (st.last_status, st.last_category, st.last_reason, st.last_latency_ms) == (
        FAIL,
        Category.TIMEOUT,
        "http_500",
        10.0,
    )
    assert st.last_message == "server said 500"

    empty = rows["payments/empty"]
    assert (empty.last_started_at, empty.last_status, empty.p95_latency_ms_1h) == (None, None, None)
    assert (empty.uptime_24h, empty.runs_24h, empty.runs_1h) == (None, 0, 0)


async def test_recent_runs(any_store: Store) -> None:
    await _load(any_store)
    recent = recent_runs(any_store, "payments", "list", limit=3, before=NOW)
    assert [r.started_at for r in recent] == [NOW - timedelta(minutes=m) for m in (2, 4, 6)]
    assert all(len(r.steps) == 1 for r in recent)
    assert recent_runs(any_store, "payments", "nope") == []
