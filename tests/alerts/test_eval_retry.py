"""A failed alert transaction (the SQLite file locked by another connection during evaluation) is
retried in order until it commits: every run counts in the failure streak exactly once, and a
stop that cannot wait keeps the batches not applied for the next start."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from alerts.service import AlertService
from core.redact import Redactor
from storage.database import Store, open_store
from tests.alerts.conftest import T0, Clock, make_config, result
from tests.alerts.helpers import events
from tests.support.sqlite import hold_write_lock

KEY = "payments/list-charges"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "alerts.db"


@pytest.fixture
def quick_store(db: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{db}", busy_timeout_ms=20)
    yield store
    store.close()


class _FailureSeen(logging.Handler):
    """Sets an event when the alert service logs a failed evaluation."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("alert evaluation"):
            self.loop.call_soon_threadsafe(self.event.set)


async def _failure_seen() -> _FailureSeen:
    handler = _FailureSeen()
    logging.getLogger("seamwatch.alerts").addHandler(handler)
    return handler


def _failed(i: int) -> object:
    return result(KEY, "failed", T0 + timedelta(seconds=i))


async def test_a_failed_evaluation_is_retried_and_no_run_is_skipped(
    db: Path, quick_store: Store, redactor: Redactor
) -> None:
    cfg = make_config(None, {KEY: {"failure_threshold": 5}})
    svc = AlertService(quick_store, cfg, redactor=redactor, clock=Clock())
    seen = await _failure_seen()
    holder = hold_write_lock(db)
    try:
        futures = [svc.on_results([_failed(0)]), svc.on_results([_failed(1), _failed(2)])]
        await seen.event.wait()  # the alert transaction met the lock
        futures += [svc.on_results([_failed(3)]), svc.on_results([_failed(4)])]
    finally:
        holder.execute("COMMIT")
        holder.close()
        logging.getLogger("seamwatch.alerts").removeHandler(seen)
    await asyncio.gather(*futures, return_exceptions=True)
    st = svc.states()[("payments", "list-charges")]
    assert st.fail_streak == 5 and st.condition == "firing"
    assert [r["at"] for r in st.recent] == [
        (T0 + timedelta(seconds=i)).isoformat() for i in range(5)]  # in order
    assert [(f, t) for f, t, _ in events(quick_store)] == [("ok", "pending"),
                                                          ("pending", "firing")]
    await svc.stop()


async def test_a_bounded_stop_keeps_unapplied_evaluations_for_the_next_start(
    tmp_path: Path, db: Path, quick_store: Store, redactor: Redactor
) -> None:
    backlog = tmp_path / "state" / "unevaluated-runs.jsonl"
    cfg = make_config(None, {KEY: {"failure_threshold": 4}})
    first = AlertService(quick_store, cfg, redactor=redactor, clock=Clock(),
                         backlog_path=backlog)
    await first.start()
    seen = await _failure_seen()
    holder = hold_write_lock(db)
    try:
        for i in range(3):
            first.on_results([_failed(i)])
        await seen.event.wait()
        assert first.backlog().runs == 3 and "locked" in (first.backlog().last_error or "")
        assert await first.stop(timeout=0) == 3  # returns while the database is still locked
    finally:
        holder.execute("COMMIT")
        holder.close()
        logging.getLogger("seamwatch.alerts").removeHandler(seen)
    assert len(backlog.read_text().splitlines()) == 3
    assert events(quick_store) == []

    second = AlertService(quick_store, cfg, redactor=redactor, clock=Clock(),
                          backlog_path=backlog)
    await second.start()
    await second.on_results([_failed(3)])  # applied after the three left by the first stop
    st = second.states()[("payments", "list-charges")]
    assert st.fail_streak == 4 and st.condition == "firing"
    assert [r["at"] for r in st.recent] == [
        (T0 + timedelta(seconds=i)).isoformat() for i in range(4)]
    assert not backlog.exists()
    await second.stop()
