"""Revision 0010_expiries adds `expiries` (empty) and its downgrade drops it; the runs stay."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.database import downgrade_to, open_store, upgrade_to
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.reads.expiries import list_expiries
from tests.storage.factories import result
from tests.storage.migrations.older import current_run_columns

BEFORE = "0009_quota"


async def test_upgrade_adds_an_empty_table_and_downgrade_drops_it(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'old.db'}", migrate=False)
    try:
        upgrade_to(store, BEFORE)
        sync_catalog(store, [("payments", "list", "http", {})])
        with current_run_columns(store):
            async with ResultWriter(store) as writer:
                writer.submit(result())
        upgrade_to(store, "0010_expiries")
        assert list_expiries(store) == []
        downgrade_to(store, BEFORE)
        assert "expiries" not in sa.inspect(store.engine).get_table_names()
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one() == 1
    finally:
        store.close()
