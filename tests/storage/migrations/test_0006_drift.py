"""Upgrading a database that `main` wrote before revision 0006 (no drift tables): the runs,
steps and catalog survive as they were, the drift tables arrive empty and work (a baseline is
saved, loaded, accepted; events are recorded), and the downgrade removes them again, leaving the
rest as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from probes.drift.baseline import BaselineRecord
from probes.drift.tracker import DriftEvent, Pending
from probes.result import Category, RunStatus
from storage import baselines
from storage.database import Store, downgrade_to, open_store, upgrade_to
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from tests.storage.factories import T0, result
from tests.storage.migrations.older import current_run_columns, dump_rows

BEFORE = "0005_channels"  # the revision before this change
KEPT = {"integrations": "id", "probes": "id", "runs": "probe_id, started_ms, id",
        "run_steps": "run_id, idx"}
DRIFT = ("drift_baselines", "drift_events")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _dump(store: Store, like: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    return dump_rows(store, KEPT, like)


def _tables(store: Store) -> set[str]:
    return set(sa.inspect(store.engine).get_table_names())


async def test_upgrade_adds_working_drift_tables_and_downgrade_removes_them(url: str) -> None:
    store = open_store(url, migrate=False)
    upgrade_to(store, BEFORE)
    sync_catalog(store, [("crm", "customers", "http", {})])
    with current_run_columns(store):
        async with ResultWriter(store) as writer:
            for i in range(6):
                writer.submit(result("crm", "customers", at=T0.replace(minute=i), steps=2,
                                     status=RunStatus.FAILED if i == 3 else RunStatus.OK,
                                     category=Category.SCHEMA if i == 3 else None))
    before = _dump(store)
    assert not _tables(store) & set(DRIFT)
    store.close()

    store = open_store(url)  # to head, as `seamwatch serve` does on start
    try:
        assert _dump(store, like=before) == before
        assert baselines.all_baselines(store) == []
        record = BaselineRecord("crm", "customers", "list", frozen=True, samples=20,
                                schema={"type": "object", "required": []}, statuses=[200],
                                media_types=["application/json"], updated_ms=1,
                                pending={"schema": {"type": "array"}, "statuses": [200],
                                         "media_types": ["application/json"]})
        event = DriftEvent("crm", "customers", "list", 1, 2, "drift", "type_changed",
                           "breaking", "$", "object", "array", {"before": {"$": "object"}})
        assert baselines.save(store, Pending([record], [event, event])) == []
        records, signatures = baselines.load(store)
        assert records == [record]
        assert signatures == {record.key: {"type_changed $"}}
        assert baselines.accept(store, [record.key]) == [record.key]
        (accepted,) = baselines.all_baselines(store)
        assert accepted.generation == 2 and accepted.pending is None
        assert [e.kind for e in baselines.events(store, "crm", "customers")] == [
            "accepted", "drift"]

        downgrade_to(store, BEFORE)
        assert not _tables(store) & set(DRIFT)
        assert _dump(store, like=before) == before
    finally:
        store.close()
