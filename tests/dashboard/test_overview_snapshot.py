"""The overview shows states and numbers of one moment, never older than a short limit, and says
when they were read (issue 9, item 9), through Streamlit's AppTest on a real SQLite database."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import data
from storage.database import Store, open_store
from tests.dashboard.conftest import APP
from tests.storage.seed import DAY, MIN, R, add_state, catalog, write_runs


class Clock:
    """The clock the dashboard ages its cached overviews by: moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(data, "_monotonic", c)
    return c


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A database where `sandbox/orders` has been healthy for a day, and a config naming it."""
    url = f"sqlite:///{tmp_path / 'seamwatch.db'}"
    store = open_store(url)
    now = int(time.time() * 1000)
    catalog(store, [("sandbox", "orders", "http")], now_ms=now - DAY)
    write_runs(store, "sandbox", "orders", [R(now - k * 5 * MIN, 50) for k in range(2, 200)])
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "{url}"}}
integrations:
  - name: sandbox
    base_url: http://127.0.0.1:9
    probes:
      - name: orders
        steps: [{{name: list, path: /orders}}]
""")
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    monkeypatch.delenv("SEAMWATCH_MAILBOX", raising=False)
    return store


def _fail_five_times(store: Store) -> None:
    """Five failed runs just now, and the alert engine's FIRING state they caused."""
    now = int(time.time() * 1000)
    write_runs(store, "sandbox", "orders", [
        R(now - 5000 + k, 80, status="failed", category="server_error", reason="http_503")
        for k in range(5)])
    add_state(store, "sandbox", "orders", "firing", now, fail_streak=5,
              last_failure={"category": "server_error", "reason": "http_503"})
    data.alert_states.clear()  # whatever the dashboard cached of the states has expired


def _row(at: AppTest) -> pd.Series:
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["Integration"]) == ["sandbox"]
    return table.iloc[0]


def _as_of(at: AppTest) -> str:
    (caption,) = [c.value for c in at.caption if "as of" in c.value]
    found = re.search(r"states and numbers as of (\S+ \S+)", caption)
    assert found, caption
    return found.group(1)


def test_an_overview_hours_old_is_computed_again(sandbox: Store, clock: Clock) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    before = _row(at)
    assert (before["Alert state"], before["Last run"], before["Uptime 24h"],
            before["Last failure"]) == ("⚪ UNKNOWN", "✔ ok", 100.0, "—")

    _fail_five_times(sandbox)
    clock.now += 3 * 3600  # the first visitor of the afternoon
    after = _row(at.run())
    assert (after["Alert state"], after["Last run"]) == ("🔴 FIRING", "✖ failed")
    assert after["Uptime 24h"] < 100.0
    assert after["Last failure"].startswith("server_error (orders)")


def test_a_recent_overview_shows_states_and_numbers_of_the_same_moment(
    sandbox: Store, clock: Clock,
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    computed = _as_of(at)
    _row(at)

    _fail_five_times(sandbox)
    clock.now += data.TTL_S + 5  # stale, within the limit: served while it is recomputed
    stale = _row(at.run())
    assert (stale["Alert state"], stale["Last run"], stale["Uptime 24h"],
            stale["Last failure"]) == ("⚪ UNKNOWN", "✔ ok", 100.0, "—")
    assert _as_of(at) == computed  # the time the numbers were read, not the page's


def test_the_server_computes_the_default_overview_before_the_first_visitor(
    sandbox: Store, clock: Clock,
) -> None:
    """dashboard/launch.py runs `prewarm` while the server starts: the first page is served
    from it instead of waiting for the query."""
    data.prewarm("24h")
    config = data.config_state().config
    assert config is not None
    ready = data._latest_overviews()[(config.storage_url, "24h")].value
    assert ready is not None and [i.name for i in ready.integrations] == ["sandbox"]
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    _row(at)
    shown = _as_of(at)
    assert shown == datetime.fromtimestamp(ready.computed_ms / 1000, UTC).strftime(
        "%Y-%m-%d %H:%M:%S")


def test_prewarm_without_a_database_leaves_it_to_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f'storage: {{url: "sqlite:///{tmp_path}/none.db"}}\n'
                      "integrations: []\n")
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    data.prewarm("24h")
    assert not (tmp_path / "none.db").exists()
