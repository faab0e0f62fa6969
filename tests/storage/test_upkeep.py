"""Storage upkeep: rolls the complete hours up, then applies retention; idle the second time."""

from __future__ import annotations

from datetime import timedelta

from storage.codes import to_ms
from storage.database import Store
from storage.spec import StorageSpec
from storage.upkeep import upkeep_storage
from tests.storage.factories import T0
from tests.storage.history import NOW, expected, six_hours, stored_rollups, write

ALL = 2**62


async def test_upkeep_storage_rolls_up_and_applies_retention(any_store: Store) -> None:
    runs = six_hours()
    await write(any_store, runs)
    spec = StorageSpec(url=any_store.url, raw_retention="3h30m")
    report = upkeep_storage(any_store, spec, now=NOW)
    assert report.rolled_through_ms == to_ms(T0 + timedelta(hours=6))
    assert (report.rollups_written, report.runs_deleted, report.steps_deleted) == (6, 12, 24)
    assert not report.idle
    again = upkeep_storage(any_store, spec, now=NOW)
    assert again.idle and again.rolled_through_ms == report.rolled_through_ms
    assert stored_rollups(any_store) == expected(runs, ALL)
