"""Last-seen times of heartbeat and webhook endpoints (storage/inbound.py): stored, never moved
back, read for the probes asked about; on SQLite and PostgreSQL."""

from __future__ import annotations

from storage.database import Store
from storage.inbound import load_seen, save_seen
from storage.ingest.catalog import sync_catalog


def test_round_trip(any_store: Store) -> None:
    ids = sync_catalog(any_store, [("batch", "job", "heartbeat", {}),
                                   ("payments", "paid", "webhook", {}),
                                   ("payments", "never", "webhook", {})])
    assert save_seen(any_store, ids, {"batch/job": 1_700_000_000.25,
                                      "payments/paid": 1_700_000_100.0,
                                      "gone/probe": 1.0}) == 2
    assert save_seen(any_store, ids, {"batch/job": 1_600_000_000.0}) == 1  # older: kept newer
    assert save_seen(any_store, ids, {"payments/paid": 1_700_000_200.5}) == 1
    assert load_seen(any_store, ids) == {"batch/job": 1_700_000_000.25,
                                         "payments/paid": 1_700_000_200.5}
    assert load_seen(any_store, {"batch/job": ids["batch/job"]}) == {"batch/job": 1_700_000_000.25}
    assert save_seen(any_store, ids, {}) == 0
