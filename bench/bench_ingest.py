"""Storage benchmark: batched-writer ingest rate and bytes per stored one-step run (SQLite, and
PostgreSQL when reachable on loopback). Prints figures; asserts nothing."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.targets import PostgresUnavailable, scratch_postgres
from probes.result import PhaseTimings, ProbeResult, RunStatus, StepResult, StepStatus
from storage.database import Store, open_store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter


def make_results(n: int, probes: int, seed: int = 7) -> list[ProbeResult]:
    """`n` one-step http runs spread over `probes` probes, one per probe per minute."""
    rnd = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    out: list[ProbeResult] = []
    for i in range(n):
        minute, p = divmod(i, probes)
        latency = rnd.uniform(20, 400)
        step = StepResult(
            name="get",
            status=StepStatus.OK,
            latency_ms=latency - 0.2,
            http_status=200,
            phases=PhaseTimings(
                connect_ms=rnd.uniform(0.2, 2),
                tls_ms=rnd.uniform(1, 9),
                ttfb_ms=latency * 0.8,
                transfer_ms=rnd.uniform(0.1, 1),
            ),
        )
        out.append(
            ProbeResult(
                integration=f"integration-{p // 10}",
                probe=f"probe-{p % 10}",
                kind="http",
                status=RunStatus.OK,
                started_at=start + timedelta(minutes=minute, milliseconds=rnd.randint(0, 59999)),
                latency_ms=latency,
                steps=[step],
            )
        )
    return out


def _catalog(store: Store, probes: int) -> dict[str, int]:
    entries: list[tuple[str, str, str, dict[str, Any]]] = [
        (f"integration-{p // 10}", f"probe-{p % 10}", "http", {}) for p in range(probes)
    ]
    return sync_catalog(store, entries)


async def _ingest(
    store: Store, ids: dict[str, int], results: list[ProbeResult], batch: int
) -> float:
    writer = ResultWriter(store, ids, batch_size=batch, flush_interval=0.5)
    await writer.start()
    t0 = time.perf_counter()
    for r in results:
        writer.submit(r)
    await writer.close()
    return time.perf_counter() - t0


def bench_sqlite(n: int = 200_000, probes: int = 1000, batch: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        store = open_store(f"sqlite:///{path}")
        ids = _catalog(store, probes)
        results = make_results(n, probes)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        before = path.stat().st_size
        elapsed = _run(_ingest(store, ids, results, batch))
        with store.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            try:
                pages = conn.exec_driver_sql(
                    "SELECT sum(pgsize) FROM dbstat WHERE name IN ('runs', 'run_steps')"
                ).scalar_one()
            except sa.exc.OperationalError:
                pages = None
        growth = path.stat().st_size - before
        store.close()
    return {
        "sqlite_results_per_s": n / elapsed,
        "sqlite_bytes_per_run": growth / n,
        "sqlite_table_bytes_per_run": None if pages is None else pages / n,
        "runs": n,
        "batch": batch,
    }


def bench_postgres(n: int = 50_000, probes: int = 1000, batch: int = 1000) -> dict[str, Any]:
    try:
        with scratch_postgres() as url:
            store = open_store(url)
            ids = _catalog(store, probes)
            elapsed = _run(_ingest(store, ids, make_results(n, probes), batch))
            store.close()
            return {"postgres_results_per_s": n / elapsed}
    except PostgresUnavailable as exc:
        return {"postgres_skipped": str(exc)}


def _run(coro: Any) -> float:
    return float(asyncio.run(coro))


def main() -> dict[str, Any]:
    figures = bench_sqlite()
    print(
        f"ingest: {figures['sqlite_results_per_s']:,.0f} results/s "
        f"(batch {figures['batch']}, sqlite WAL, {figures['runs']:,} one-step runs)"
    )
    print(
        f"storage: {figures['sqlite_bytes_per_run']:.1f} bytes/run (one-step runs, incl. indexes)"
    )
    if figures["sqlite_table_bytes_per_run"] is not None:
        print(
            f"storage: {figures['sqlite_table_bytes_per_run']:.1f} bytes/run (dbstat, runs+steps)"
        )
    pg = bench_postgres()
    figures.update(pg)
    if "postgres_results_per_s" in pg:
        print(f"ingest: {pg['postgres_results_per_s']:,.0f} results/s (batch 1000, postgresql)")
    else:
        print(f"ingest: postgresql skipped ({pg['postgres_skipped']})")
    return figures


if __name__ == "__main__":
    main()
