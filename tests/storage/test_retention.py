"""Retention only deletes: raw runs below both the raw-retention boundary and the rollup watermark,
and rollups older than rollup retention."""

from __future__ import annotations

from datetime import timedelta

from probes.result import Category, RunStatus
from storage.codes import to_ms
from storage.database import Store
from storage.retention import RetentionReport, apply_retention
from storage.rollups.write import roll_up_completed_hours
from tests.storage.factories import T0
from tests.storage.history import NOW, count, expected, six_hours, stored_rollups, write

RAW_S = 3.5 * 3600  # boundary = floor_hour(NOW - 3.5 h) = T0 + 2 h


def _upkeep(store: Store, raw_s: float, rollup_s: float) -> tuple[int, RetentionReport]:
    """What `storage.upkeep` does: roll the complete hours up, then apply retention."""
    written = roll_up_completed_hours(store, NOW)
    return written, apply_retention(store, raw_s, rollup_s, now=NOW)


async def test_retention_deletes_rolled_raw_runs_without_rolling_them_again(
    any_store: Store,
) -> None:
    runs = six_hours()
    await write(any_store, runs)
    boundary = to_ms(T0 + timedelta(hours=2))
    everything = expected(runs, 2**62)
    assert len(everything) == 6

    written, report = _upkeep(any_store, RAW_S, 400 * 86400)
    assert report.raw_boundary_ms == boundary
    # every complete hour is rolled up (raw kept for hours >= boundary), only old raw deleted
    assert (report.runs_deleted, report.steps_deleted, written) == (12, 24, 6)
    assert stored_rollups(any_store) == everything
    assert count(any_store, "runs") == 24 and count(any_store, "run_steps") == 48

    written, again = _upkeep(any_store, RAW_S, 400 * 86400)
    assert (again.runs_deleted, written, again.rollups_deleted) == (0, 0, 0)
    assert stored_rollups(any_store) == everything

    # a run that arrives late for an hour whose raw runs are gone is added once, then deleted
    late = (5, 999, RunStatus.FAILED, Category.DNS)
    await write(any_store, [late])
    written, report = _upkeep(any_store, RAW_S, 400 * 86400)
    assert (written, report.runs_deleted) == (1, 1)
    assert stored_rollups(any_store) == expected([*runs, late], 2**62)
    _upkeep(any_store, RAW_S, 400 * 86400)
    assert stored_rollups(any_store) == expected([*runs, late], 2**62)

    # rollups older than rollup retention go; the newer hours stay
    _written, gone = _upkeep(any_store, RAW_S, 4.5 * 3600)  # boundary T0 + 1 h
    assert gone.rollups_deleted == 1
    assert min(stored_rollups(any_store)) == to_ms(T0 + timedelta(hours=1))
