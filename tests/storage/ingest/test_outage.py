"""A database that takes no writes (another connection holds the write lock): the writer keeps at
most `max_buffered` runs in memory and spills the rest to its file in order, says how far behind
it is, stops within its bound with what is left in the file, and writes every run, in order, once
the database takes writes again (also after a restart)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.database import Store, open_store
from storage.ingest.spill import SPILL_NAME, SpillFile, SpillFileInUse, encode_result
from storage.ingest.writer import ResultWriter, WrittenRun
from tests.storage.factories import many
from tests.support.sqlite import hold_write_lock


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{db}", busy_timeout_ms=20)
    yield store
    store.close()


def _stored_times(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        query = sa.text("SELECT started_ms FROM runs ORDER BY id")
        return [int(v) for v in conn.execute(query).scalars()]


def _spilled_times(path: Path) -> list[str]:
    return [json.loads(line)["run"]["started_at"] for line in path.read_text().splitlines()]


def _ms(runs: list) -> list[int]:
    return [int(r.started_at.timestamp() * 1000) for r in runs]


async def test_overflow_is_spilled_in_order_and_written_after_recovery(
    tmp_path: Path, db: Path, store: Store
) -> None:
    spill = SpillFile(tmp_path / "state" / SPILL_NAME)
    failed = asyncio.Event()
    seen: list[WrittenRun] = []
    writer = ResultWriter(store, batch_size=4, flush_interval=60, spill=spill, max_buffered=10,
                          on_error=lambda exc: failed.set(), on_written=seen.extend)
    runs = many(50, probes=2)
    assert not spill.path.parent.exists()  # nothing is created before a run is spilled
    holder = hold_write_lock(db)
    try:
        await writer.start()
        for r in runs:
            writer.submit(r)
        await failed.wait()  # the writer met the lock
        health = writer.health()
        assert (health.buffered, health.spilled, writer.pending) == (10, 40, 50)
        assert health.oldest_unwritten_s is not None and health.failing_for_s is not None
        assert "database is locked" in (health.last_error or "")
        assert "INSERT" not in (health.last_error or "")  # no SQL, no parameters
        assert _spilled_times(spill.path) == [r.started_at.isoformat() for r in runs[10:]]
    finally:
        holder.execute("COMMIT")
        holder.close()
    await writer.flush()
    await writer.close()
    assert [w.result.started_at for w in seen] == [r.started_at for r in runs]  # in order
    assert sorted(_stored_times(store)) == _ms(runs)
    assert spill.path.read_bytes() == b""  # everything in it is committed
    assert writer.health().failing_for_s is None and writer.pending == 0


async def test_a_bounded_close_leaves_the_rest_in_the_spill_file_for_the_next_start(
    tmp_path: Path, db: Path, store: Store
) -> None:
    path = tmp_path / "state" / SPILL_NAME
    failed = asyncio.Event()
    first = ResultWriter(store, batch_size=4, spill=SpillFile(path), max_buffered=10,
                         on_error=lambda exc: failed.set())
    runs = many(25, probes=3)
    holder = hold_write_lock(db)
    try:
        await first.start()
        for r in runs:
            first.submit(r)
        await failed.wait()
        report = await first.close(timeout=0)  # returns while the database is still locked
        assert (report.left, report.spill_path, report.written) == (25, str(path), 0)
        # The runs held in memory went to the head of the file, ahead of the overflow.
        assert _spilled_times(path) == [r.started_at.isoformat() for r in runs]
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert _stored_times(store) == []

    seen: list[WrittenRun] = []
    second = ResultWriter(store, batch_size=4, spill=SpillFile(path), max_buffered=10,
                          on_written=seen.extend)
    assert second.pending == 25
    async with second:
        second.submit(many(1, start=runs[-1].started_at)[0])  # a new run queues behind them
        await second.flush()
    assert [w.result.started_at for w in seen][:25] == [r.started_at for r in runs]
    assert len(seen) == 26 and len(_stored_times(store)) == 26
    assert path.read_bytes() == b""


async def test_progress_through_the_spill_file_survives_a_crash(
    tmp_path: Path, store: Store
) -> None:
    """Runs read back and committed are not written again after a crash (the file records how
    far it is committed); the rest are."""
    path = tmp_path / SPILL_NAME
    runs = many(12)
    spill = SpillFile(path)
    spill.append((r, 0.0) for r in runs)
    taken = spill.take(5)
    spill.committed(taken[-1].end)  # five committed, then the process dies
    spill.close()
    writer = ResultWriter(store, spill=SpillFile(path), batch_size=100)
    assert writer.pending == 7
    async with writer:
        await writer.flush()
    assert _stored_times(store) == _ms(runs[5:])


def test_a_torn_last_line_is_dropped_and_the_rest_replayed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / SPILL_NAME
    runs = many(3)
    path.write_bytes(
        b"".join(json.dumps({"queued_at": 1.0, "run": encode_result(r)}).encode() + b"\n"
                 for r in runs[:2])
        + json.dumps({"queued_at": 1.0, "run": encode_result(runs[2])}).encode()[:40]
    )
    with caplog.at_level(logging.WARNING):
        spill = SpillFile(path)
    assert spill.unread == 2 and "torn last line" in caplog.text
    assert [s.result for s in spill.take(10)] == runs[:2]  # every field round-trips
    with pytest.raises(SpillFileInUse, match="in use by another seamwatch process"):
        SpillFile(path)
    spill.close()


async def test_postgres_table_lock_is_bounded_and_spilled(tmp_path: Path,
                                                          postgres_url: str) -> None:
    store = open_store(postgres_url, busy_timeout_ms=100)  # PostgreSQL's lock_timeout
    path = tmp_path / SPILL_NAME
    failed = asyncio.Event()
    runs = many(30, probes=2)
    holder = store.engine.connect()
    try:
        holder.exec_driver_sql("LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")
        writer = ResultWriter(store, batch_size=5, spill=SpillFile(path), max_buffered=10,
                              on_error=lambda exc: failed.set())
        await writer.start()
        for r in runs:
            writer.submit(r)
        await failed.wait()
        assert "lock timeout" in (writer.health().last_error or "")
        assert len(_spilled_times(path)) == 20
        report = await writer.close(timeout=0)
        assert report.left == 30
    finally:
        holder.rollback()
        holder.close()
    again = ResultWriter(store, batch_size=5, spill=SpillFile(path), max_buffered=10)
    async with again:
        await again.flush()
    assert _stored_times(store) == _ms(runs)
    store.close()
