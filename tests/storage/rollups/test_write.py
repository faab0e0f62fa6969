from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from probes.result import Category, RunStatus
from storage.codes import to_ms
from storage.database import Store
from storage.rollups.write import SETTLE_MS, roll_up_completed_hours, watermark
from storage.schema import late_runs_t, rollups_t
from tests.storage.factories import T0
from tests.storage.history import NOW, count, expected, six_hours, stored_rollups, write

ALL = 2**62


def _w(store: Store) -> int | None:
    with store.engine.connect() as conn:
        return watermark(conn)


def _cumulative_is_consistent(store: Store) -> None:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(rollups_t).order_by(rollups_t.c.probe_id,
                                                          rollups_t.c.hour_ms)).mappings().all()
    total: Counter[str] = Counter()
    n = good = failed = lsum = 0
    for r in rows:
        n, good, failed = n + r["count"], good + r["ok"] + r["degraded"], failed + r["failed"]
        lsum += r["latency_sum_us"]
        total.update(r["histogram"])
        assert (r["cum_count"], r["cum_good"], r["cum_failed"], r["cum_latency_sum_us"]) == (
            n, good, failed, lsum)
        assert r["cum_histogram"] == dict(total)


async def test_rollups_equal_raw_aggregates_watermark_and_idempotency(any_store: Store) -> None:
    runs = six_hours()  # one run every 10 minutes from T0 to T0 + 5 h 50
    await write(any_store, runs)
    assert _w(any_store) is None
    # T0 + 2 h + 1 min: hour 1 ended less than SETTLE_MS ago, so only hour 0 is complete
    assert roll_up_completed_hours(any_store, T0 + timedelta(hours=2, minutes=1)) == 1
    assert _w(any_store) == to_ms(T0 + timedelta(hours=1))
    assert stored_rollups(any_store) == expected(runs, to_ms(T0 + timedelta(hours=1)))
    later = T0 + timedelta(hours=2) + timedelta(milliseconds=SETTLE_MS)
    assert roll_up_completed_hours(any_store, later) == 1
    assert _w(any_store) == to_ms(T0 + timedelta(hours=2))

    assert roll_up_completed_hours(any_store, NOW) == 4
    assert _w(any_store) == to_ms(T0 + timedelta(hours=6))
    want = expected(runs, ALL)
    assert stored_rollups(any_store) == want and len(want) == 6
    assert count(any_store, "runs") == 36  # raw runs are kept
    _cumulative_is_consistent(any_store)

    assert roll_up_completed_hours(any_store, NOW) == 0  # idempotent
    assert roll_up_completed_hours(any_store, T0) == 0  # never moves back
    assert stored_rollups(any_store) == want and _w(any_store) == to_ms(T0 + timedelta(hours=6))


async def test_late_run_is_queued_then_added_once(any_store: Store) -> None:
    runs = six_hours()
    await write(any_store, runs)
    roll_up_completed_hours(any_store, NOW)
    late = [(75, 2000, RunStatus.FAILED, Category.TIMEOUT), (5, 1, RunStatus.OK, None)]
    current = (365, 30, RunStatus.OK, None)  # the current hour: not late
    await write(any_store, [*late, current])
    assert count(any_store, "rollup_late_runs") == 2
    assert stored_rollups(any_store) == expected(runs, ALL)  # not yet merged

    assert roll_up_completed_hours(any_store, NOW) == 2
    assert count(any_store, "rollup_late_runs") == 0
    assert stored_rollups(any_store) == expected([*runs, *late], ALL)
    _cumulative_is_consistent(any_store)
    assert roll_up_completed_hours(any_store, NOW) == 0
    assert stored_rollups(any_store) == expected([*runs, *late], ALL)
    with any_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(late_runs_t)).scalar() == 0


async def test_concurrent_roll_ups_count_each_hour_once(any_store: Store) -> None:
    runs = six_hours()
    await write(any_store, runs)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def roll() -> None:
        try:
            barrier.wait()
            roll_up_completed_hours(any_store, NOW)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=roll) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert stored_rollups(any_store) == expected(runs, ALL)
    _cumulative_is_consistent(any_store)
