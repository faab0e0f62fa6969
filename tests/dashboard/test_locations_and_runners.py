"""The dashboard with two locations and a silent runner: the overview filters by location and
shows how it sees each integration, the Integration page lists results by location, and the
Runners page flags the silent runner."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from storage.database import open_store
from storage.runners import RunnerInfo, heartbeat, register
from storage.schema.runners import runners_t
from tests.dashboard.conftest import APP
from tests.dashboard.seed import write_config
from tests.storage.seed import MIN, R, catalog, write_runs


@pytest.fixture
def two_locations(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'seamwatch.db'}"
    store = open_store(url)
    now = int(time.time() * 1000)
    catalog(store, [("payments", "list-charges", "http")], now_ms=now - 60 * MIN)
    write_runs(store, "payments", "list-charges",
               [R(now - i * MIN, 120.0) for i in range(1, 30)], location="eu")
    write_runs(store, "payments", "list-charges",
               [R(now - i * MIN, 300.0, "failed") for i in range(1, 30)], location="us")
    for runner, location in (("r-eu", "eu"), ("r-us", "us")):
        register(store, RunnerInfo(runner, location, "host-" + location, 42, "0.1.0"), 1)
        heartbeat(store, runner, location, 1, 1, forget_after_ms=60_000)
    with store.write() as conn:  # r-us last heard from ten minutes ago
        conn.execute(runners_t.update().where(runners_t.c.id == "r-us")
                     .values(heartbeat_ms=now - 10 * MIN))
    store.close()
    return write_config(tmp_path / "seamwatch.yaml", url)


def _app(config: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    return AppTest.from_file(str(APP), default_timeout=60)


def test_overview_filters_by_location(two_locations: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(two_locations, monkeypatch).run()
    assert not at.exception
    at.pills(key="ov_location").set_value("us").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Integration"]) == ["payments"]
    assert table.iloc[0]["Last run at us"].endswith("failed")
    assert table.iloc[0]["Uptime 24h at us"] == "0.00%"
    at.pills(key="ov_location").set_value("eu").run()
    assert at.dataframe[0].value.iloc[0]["Uptime 24h at eu"] == "100.00%"


def test_integration_page_by_location(two_locations: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(two_locations, monkeypatch)
    at.query_params["integration"] = "payments"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "By location" in [s.value for s in at.subheader]
    [table] = [d.value for d in at.dataframe if "Location" in d.value.columns]
    assert dict(zip(table["Location"], table["Last run"], strict=True)) == {
        "eu": "✔ ok", "us": "✖ failed"}


def test_runners_page_flags_a_silent_runner(two_locations: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(two_locations, monkeypatch).run()
    at.switch_page("dashboard/pages/runners.py").run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Running": "1", "Silent": "1", "Locations": "1"}
    assert "r-us" in at.error[0].value
    table = at.dataframe[0].value
    assert dict(zip(table["Runner"], table["State"], strict=True)) == {
        "r-eu": "RUNNING", "r-us": "SILENT"}
