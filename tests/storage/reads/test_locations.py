"""Location names for a page's filter come from the small catalog, one per location that ever
recorded a run, sorted; the same locations `location_status` reports."""

from __future__ import annotations

from storage.codes import now_ms
from storage.database import Store
from storage.reads.locations import location_names, location_status
from tests.storage.seed import MIN, R, write_runs


def test_location_names_match_the_locations_that_ran(sqlite_store: Store) -> None:
    assert location_names(sqlite_store) == []
    now = now_ms()
    for location in ("us", "eu"):
        write_runs(sqlite_store, "payments", "charges", [R(now - 5 * MIN, 100.0)],
                   location=location)
    assert location_names(sqlite_store) == ["eu", "us"]
    assert sorted({x.location for x in location_status(sqlite_store)}) == ["eu", "us"]
