"""Upgrading a database at revision 0007 (runs and alert history, no SLO tables) to 0008_slo:
the runs and alert events survive, burn-rate evaluation stores its state and events in the new
tables, and the downgrade drops them again and leaves the rest. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.slo_eval import BurnEvaluator
from storage.codes import to_ms
from storage.database import downgrade_to, open_store, upgrade_to
from storage.reads import alert_history
from tests.alerts.slo_helpers import NOW, runs, settings
from tests.storage.migrations.older import current_run_columns
from tests.storage.seed import add_event, count_runs, write_runs

BEFORE = "0007_inbound"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_upgrade_adds_the_slo_tables_and_keeps_history(url: str) -> None:
    store = open_store(url, migrate=False)
    try:
        upgrade_to(store, BEFORE)
        with current_run_columns(store):
            write_runs(store, "payments", "charges", runs(1, 120, failing_every=5))
        add_event(store, "payments", "charges", to_ms(NOW - timedelta(minutes=5)), "ok",
                  "pending", "pending")
        assert not sa.inspect(store.engine).has_table("slo_states")
        upgrade_to(store, "head")
        assert count_runs(store) == 120
        assert [e.to_state for e in alert_history.events(store)] == ["pending"]
        BurnEvaluator(store).evaluate(settings("99.9%"), NOW)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT severity FROM slo_states").scalar() == "page"
            assert conn.exec_driver_sql("SELECT count(*) FROM slo_events").scalar() == 1
        downgrade_to(store, BEFORE)
        inspector = sa.inspect(store.engine)
        assert not inspector.has_table("slo_states") and not inspector.has_table("slo_events")
        assert count_runs(store) == 120
        assert [e.to_state for e in alert_history.events(store)] == ["pending"]
    finally:
        store.close()
