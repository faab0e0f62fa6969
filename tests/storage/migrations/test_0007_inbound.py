"""Revision 0007_inbound adds `inbound_seen` to a database holding data in the 0006 shape: the
runs and catalog are untouched, the new table works, and the downgrade removes it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.database import downgrade_to, open_store, upgrade_to
from storage.inbound import load_seen, save_seen
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from tests.storage.factories import result
from tests.storage.migrations.older import current_run_columns

BEFORE = "0006_drift"


async def test_upgrade_keeps_data_and_adds_the_table(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    upgrade_to(store, BEFORE)
    ids = sync_catalog(store, [("batch", "job", "heartbeat", {})])
    with current_run_columns(store):
        writer = ResultWriter(store, ids)
        await writer.start()
        writer.submit(result(integration="batch", probe="job"))
        await writer.close(timeout=10)
    assert "inbound_seen" not in sa.inspect(store.engine).get_table_names()
    upgrade_to(store, "0007_inbound")
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from runs")).scalar_one() == 1
    assert save_seen(store, ids, {"batch/job": 1_700_000_000.0}) == 1
    assert load_seen(store, ids) == {"batch/job": 1_700_000_000.0}
    downgrade_to(store, BEFORE)
    assert "inbound_seen" not in sa.inspect(store.engine).get_table_names()
    store.close()
