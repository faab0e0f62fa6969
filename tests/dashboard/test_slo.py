"""The SLO page through AppTest against the seeded scenario database (with `slo:` added to its
config), and its pure figure builders."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.slo import burn_down_figure, burn_down_points, burn_rate_figure
from storage.database import open_store
from storage.reads.slo import Count
from storage.schema import slo_events_t, slo_states_t
from tests.dashboard.conftest import APP, Scenario
from tests.dashboard.seed import CANARY

H = 3_600_000
T = 1_767_225_600_000  # 2026-01-01T00:00Z


def test_burn_down_spends_the_budget_hour_by_hour() -> None:
    hours = [(T, Count(1000, 0)), (T + H, Count(1000, 1)), (T + 2 * H, Count(1000, 3))]
    # budget 0.1 % of 3,000 runs = 3 failed runs; 1 then 3 more spent
    assert burn_down_points(hours, 0.001) == [
        (T + H, 100.0), (T + 2 * H, pytest.approx(66.667, abs=0.01)),
        (T + 3 * H, pytest.approx(-33.333, abs=0.01))]
    fig = burn_down_figure(hours, 0.001, "UTC")
    assert list(fig.data[0].y) == [100.0, 66.67, -33.33]
    assert fig.data[0].line.color == "#d62728"  # overspent
    assert burn_down_points([], 0.001) == []
    assert burn_down_figure([], 0.001, "UTC").layout.annotations[0].text == (
        "No runs in the SLO window yet")


def test_burn_rate_bars_and_thresholds() -> None:
    fig = burn_rate_figure({"5m": 200.0, "30m": 40.0, "1h": 20.0, "6h": 3.0, "3d": None})
    bars, marks = fig.data
    assert list(bars.x) == ["5m", "30m", "1h", "6h", "3d"]
    assert list(bars.y) == [200.0, 40.0, 20.0, 3.0, 0.0]
    assert list(marks.y) == [14.4, 6.0, 14.4, 6.0, 1.0]  # 6h: the page pair's 6×, above 1×
    assert fig.layout.yaxis.type == "log"
    assert burn_rate_figure({"1h": None}).layout.annotations[0].text == "No runs in these windows"


def _config(scenario: Scenario, tmp_path: Path) -> Path:
    text = scenario.config_path.read_text(encoding="utf-8")
    text = text.replace("  - name: crm\n", "  - name: crm\n    slo: {objective: 99.9%}\n")
    text = text.replace("      - name: list-charges\n",
                        "      - name: list-charges\n        slo: {objective: 99%, window: 7d}\n")
    path = tmp_path / "seamwatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_slo_page(scenario: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(_config(scenario, tmp_path)))
    monkeypatch.delenv("SEAMWATCH_MAILBOX", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"integration": "payments", "probe": "list-charges"})
    at.run()
    at.switch_page("dashboard/pages/slo.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["SLO"]) == ["crm", "payments/list-charges"]
    assert list(table["Objective"]) == ["99.90%", "99.00%"]
    assert list(table["Window"]) == ["30 d", "7 d"]
    assert list(table["Alert"]) == ["UNKNOWN", "UNKNOWN"]  # `serve` has not evaluated yet
    assert at.selectbox(key="slo_pick").value == "payments/list-charges"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Burn-rate alert"] == "UNKNOWN" and int(metrics["Runs counted"]
                                                           .replace(",", "")) > 0
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    assert "No burn-rate alert in the SLO window." in [c.value for c in at.caption]
    assert CANARY not in str([t.value for t in at.dataframe]) + str(metrics)


def test_slo_page_without_slos(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(scenario.config_path))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("dashboard/pages/slo.py").run()
    assert not at.exception
    assert "No SLO configured" in at.info[0].value


def test_slo_page_shows_the_alert_state_and_history(
        scenario: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(scenario.db_url.removeprefix("sqlite:///"), db)
    config = _config(scenario, tmp_path)
    config.write_text(config.read_text(encoding="utf-8").replace(
        scenario.db_url, f"sqlite:///{db}"), encoding="utf-8")
    store = open_store(f"sqlite:///{db}")
    with store.write() as conn:
        conn.execute(slo_states_t.insert().values(
            target="crm", severity="page", since_ms=scenario.now_ms - 20 * 60_000,
            updated_ms=scenario.now_ms))
        conn.execute(slo_events_t.insert().values(
            at_ms=scenario.now_ms - 20 * 60_000, target="crm", from_severity="ok",
            to_severity="page", reason="burning the error budget at 50.0× over 1h"))
    store.close()
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"integration": "crm"})
    at.run()
    at.switch_page("dashboard/pages/slo.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert list(at.dataframe[0].value["Alert"]) == ["PAGE", "UNKNOWN"]
    assert at.selectbox(key="slo_pick").value == "crm"
    history = at.dataframe[1].value
    assert list(history["To"]) == ["PAGE"]
    assert history["Why"][0] == "burning the error budget at 50.0× over 1h"
