from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.database import Store, open_store
from storage.ingest import rows as rows_module
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter, WrittenRun
from storage.reads.queries import recent_runs
from tests.storage.factories import T0, many, result


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def test_every_result_and_step_is_stored(any_store: Store) -> None:
    results = many(2500, probes=7)
    ids = sync_catalog(any_store, [("payments", f"p{i}", "http", {}) for i in range(7)])
    batches: list[int] = []
    async with ResultWriter(any_store, ids, batch_size=1000, flush_interval=60) as writer:
        writer.add_listener(lambda batch: batches.append(len(batch)))
        for r in results:
            writer.submit(r)
        await writer.flush()
        assert writer.stats.written == 2500
    assert batches == [1000, 1000, 500]
    assert _count(any_store, "runs") == 2500
    assert _count(any_store, "run_steps") == sum(len(r.steps) for r in results)
    with any_store.engine.connect() as conn:
        distinct = conn.execute(sa.text("SELECT count(DISTINCT id) FROM runs")).scalar_one()
    assert distinct == 2500


async def test_round_trip_of_every_field(any_store: Store) -> None:
    from probes.result import Category, RunStatus

    failed = result(
        status=RunStatus.FAILED,
        category=Category.RATE_LIMITED,
        steps=2,
        latency_ms=123.456,
        at=T0,
        location="eu-west",
    )
    async with ResultWriter(any_store) as writer:  # unknown probe: registered on the fly
        writer.submit(failed)
    (run,) = recent_runs(any_store, "payments", "list")
    assert (run.status, run.category, run.reason, run.message) == (
        RunStatus.FAILED,
        Category.RATE_LIMITED,
        "http_500",
        "server said 500",
    )
    assert run.started_at == T0 and run.latency_ms == 123.456 and run.location == "eu-west"
    assert run.failed_step == "step-1" and len(run.steps) == 2
    first, second = run.steps
    assert (first.name, first.http_status, first.connect_ms, first.tls_ms) == (
        "step-0",
        200,
        1.5,
        3.25,
    )
    assert (first.rl_limit, first.rl_remaining, first.rl_reset_s) == (100, 40, 30.0)
    assert first.message is None and second.category is Category.RATE_LIMITED


async def test_a_failing_batch_rolls_back_and_is_retried(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rows_module.executemany_insert
    calls = {"steps": 0}

    def flaky(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list) -> None:
        if table.name == "run_steps":
            calls["steps"] += 1
            if calls["steps"] == 1:  # runs of this batch are already inserted: must roll back
                raise RuntimeError("injected failure")
        real(conn, table, columns, rows)

    monkeypatch.setattr("storage.ingest.writer.executemany_insert", flaky)
    async with ResultWriter(sqlite_store, batch_size=50) as writer:
        for r in many(120):
            writer.submit(r)
        await writer.flush()
        assert writer.stats.retries == 1 and "injected" in (writer.stats.last_error or "")
    assert _count(sqlite_store, "runs") == 120


async def test_locked_database_delays_but_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    store = open_store(f"sqlite:///{path}", busy_timeout_ms=20)
    blocked = asyncio.Event()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    writer = ResultWriter(store, batch_size=100, on_error=lambda exc: blocked.set())
    await writer.start()
    for r in many(250):
        writer.submit(r)
    flushing = asyncio.create_task(writer.flush())
    await blocked.wait()  # the writer met the lock at least once
    assert not flushing.done()
    assert "locked" in (writer.stats.last_error or "")
    holder.execute("COMMIT")
    holder.close()
    await flushing
    await writer.close()
    assert writer.stats.written == 250 and writer.stats.retries >= 1
    assert _count(store, "runs") == 250
    store.close()


async def test_close_drains_everything(sqlite_store: Store) -> None:
    seen: list[WrittenRun] = []

    async def listener(batch: Sequence[WrittenRun]) -> None:
        seen.extend(batch)

    writer = ResultWriter(sqlite_store, batch_size=1000, flush_interval=3600, on_written=listener)
    await writer.start()
    for r in many(345):
        writer.submit(r)
    await writer.close()  # no flush: close must write all pending results
    assert _count(sqlite_store, "runs") == 345
    assert len({w.run_id for w in seen}) == 345


async def test_results_are_written_after_flush_interval_without_flush(
    sqlite_store: Store,
) -> None:
    """A lone result in an idle writer must not wait for a full batch (or for close)."""
    committed: asyncio.Queue[int] = asyncio.Queue()
    writer = ResultWriter(sqlite_store, batch_size=1000, flush_interval=0.05,
                          on_written=lambda batch: committed.put_nowait(len(batch)))
    await writer.start()
    writer.submit(many(1)[0])
    assert await asyncio.wait_for(committed.get(), timeout=30) == 1
    assert _count(sqlite_store, "runs") == 1
    writer.submit(many(1)[0])  # and again once the writer is idle
    assert await asyncio.wait_for(committed.get(), timeout=30) == 1
    await writer.close()


async def test_results_submitted_before_start_are_written(sqlite_store: Store) -> None:
    writer = ResultWriter(sqlite_store)
    for r in many(10):
        writer.submit(r)
    await writer.close()
    assert _count(sqlite_store, "runs") == 10


async def test_two_runners_share_one_database_without_collisions(any_store: Store) -> None:
    other = open_store(any_store.url)
    try:
        first = ResultWriter(any_store, batch_size=64, flush_interval=60)
        second = ResultWriter(other, batch_size=64, flush_interval=60)
        await first.start()
        await second.start()
        for i, r in enumerate(many(1000, probes=4)):
            r.location = "eu" if i % 2 else "us"
            (first if i % 2 else second).submit(r)  # same probes, interleaved batches
        await asyncio.gather(first.close(), second.close())
    finally:
        other.close()
    with any_store.engine.connect() as conn:
        total, distinct = conn.execute(
            sa.text("SELECT count(*), count(DISTINCT id) FROM runs")
        ).one()
        probes = conn.execute(sa.text("SELECT count(*) FROM probes")).scalar_one()
    assert (total, distinct, probes) == (1000, 1000, 4)
    with pytest.raises(RuntimeError):
        first.submit(result())
