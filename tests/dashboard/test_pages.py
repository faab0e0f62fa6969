"""Every page through Streamlit's AppTest against the seeded scenario database."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from probes.result import Category, RunStatus
from storage.database import open_store
from storage.ingest.writer import ResultWriter
from tests.dashboard.apptest import open_app
from tests.dashboard.conftest import Scenario
from tests.dashboard.seed import CANARY
from tests.storage.factories import result

PAGES = {
    "overview": "dashboard/pages/overview.py",
    "integration": "dashboard/pages/integration.py",
    "alerts": "dashboard/pages/alerts.py",
    "notifications": "dashboard/pages/notifications.py",
    "configuration": "dashboard/pages/configuration.py",
    "runners": "dashboard/pages/runners.py",
}


def _text(at: AppTest) -> str:
    parts: list[str] = []
    for kind in ("title", "markdown", "caption", "info", "warning", "error", "success",
                 "subheader", "text", "code", "json"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    parts += [f"{m.label}={m.value}" for m in at.metric]
    return "\n".join(parts)


def _ok(at: AppTest) -> str:
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at)
    assert CANARY not in text
    return text


def test_overview(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch).run()
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Firing": "1", "Pending": "0", "Degraded": "0", "Silenced": "0",
                       "OK": "4", "Unknown": "1", "Last run failed": "1"}
    table = at.dataframe[0].value
    assert list(table["Integration"]) == ["crm", "payments", "newbie"]  # worst first
    assert list(table["Alert state"]) == ["🔴 FIRING", "🟢 OK", "⚪ UNKNOWN"]
    assert list(table["Last run"]) == ["✖ failed (1 of 2)", "✔ ok", "— no runs yet"]
    crm = table.iloc[0]
    assert crm["Last failure"].startswith("server_error (contacts)")
    assert 98 < crm["Uptime 24h"] < 100
    assert "legacy" not in set(table["Integration"])  # only retired probes: hidden
    assert at.query_params["range"] == "24h"


def test_overview_filters(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch).run()
    at.pills(key="ov_tags").set_value(["billing"]).run()
    assert list(at.dataframe[0].value["Integration"]) == ["payments"]
    at.pills(key="ov_tags").set_value([]).run()
    at.pills(key="ov_states").set_value(["firing"]).run()
    assert list(at.dataframe[0].value["Integration"]) == ["crm"]
    at.pills(key="ov_states").set_value([]).run()
    at.pills(key="ov_runs").set_value(["ok"]).run()  # worst last run of the integration
    assert list(at.dataframe[0].value["Integration"]) == ["payments"]
    at.pills(key="ov_states").set_value(["unknown"]).run()
    assert "**No integration matches these filters.**" in [i.value for i in at.info]
    at.pills(key="ov_runs").set_value([]).run()
    assert list(at.dataframe[0].value["Integration"]) == ["newbie"]
    at.text_input(key="ov_name").set_value("zzz").run()
    assert "**No integration matches these filters.**" in [i.value for i in at.info]


def test_range_query_param_and_picker(scenario: Scenario,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch, range="1h").run()
    _ok(at)
    assert at.session_state["sw_range"] == "1h"
    assert "latency over the last 1h" in _text(at)
    at.segmented_control(key="sw_range").set_value("7d").run()
    assert at.query_params["range"] == "7d"
    at.toggle(key="sw_live").set_value(False).run()  # pause keeps the selection
    assert at.session_state["sw_range"] == "7d" and at.query_params["live"] == "off"


def test_deep_link_opens_integration_and_probe(scenario: Scenario,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch, integration="payments",
              probe="list-charges", range="24h").run()
    text = _ok(at)
    assert at.selectbox(key="ig_integration").value == "payments"
    assert at.selectbox(key="ig_probe").value == "list-charges"
    assert "payments" in [t.value for t in at.title]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Uptime 24h"].endswith("%") and metrics["p95 (24h)"].endswith("ms")
    assert "Recent runs" in text and "rate_limited" in text
    assert "***-echo" in text  # the echoed canary in a run message is masked
    at.selectbox(key="ig_probe").set_value("auth").run()
    _ok(at)
    assert at.query_params["probe"] == "auth"


def test_integration_page_states(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch, integration="newbie").run()
    assert "has no runs yet" in _ok(at)
    at = open_app(scenario.config_path, monkeypatch, integration="legacy", probe="old").run()
    assert "was removed from the config" in _ok(at)
    at = open_app(scenario.config_path, monkeypatch, integration="nope").run()
    assert "no integration named ` nope `" in _ok(at)


def test_alerts_page(scenario: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch)
    at.run()
    at.switch_page(PAGES["alerts"]).run()
    text = _ok(at)
    assert {m.label: m.value for m in at.metric}["Firing"] == "1"
    now = at.dataframe[0].value
    assert list(now["Probe"]) == ["contacts"] and "server_error: http_503" in now["Cause"][0]
    incidents = at.dataframe[1].value
    assert list(incidents["Probe"]) == ["contacts", "list-charges"]
    assert list(incidents["Ended"]) == ["ongoing", incidents["Ended"][1]]
    assert list(incidents["Duration"])[1] == "1 h"
    mttr = at.dataframe[2].value
    assert list(mttr["Integration"]) == ["payments"] and list(mttr["MTTR"]) == ["1 h"]
    assert "Incidents (last 24h)" in text


def test_notifications_page(scenario: Scenario, monkeypatch: pytest.MonkeyPatch,
                            tmp_path: Path) -> None:
    at = open_app(scenario.config_path, monkeypatch)
    monkeypatch.setenv("SEAMWATCH_MAILBOX", str(tmp_path / "mail"))
    at.run()
    at.switch_page(PAGES["notifications"]).run()
    text = _ok(at)
    assert {m.label: m.value for m in at.metric} == {"Sent": "2", "Queued": "1",
                                                     "Failed": "1", "Attempts": "13"}
    channels = at.dataframe[0].value  # each channel: retrying an email, so failing
    assert list(channels["Channel"]) == ["email"] and list(channels["Status"]) == ["FAILING"]
    assert list(channels["Last error"]) == ["SMTP connect refused (127.0.0.1:2525)"]
    assert "Channel email is failing: SMTP connect refused (127.0.0.1:2525)" in [
        e.value for e in at.error]
    table = at.dataframe[1].value
    assert "SMTP connect refused (127.0.0.1:2525)" in set(table["Last error"])
    assert set(table["Channel"]) == {"email"}
    assert "crm/contacts is failing" in text
    assert "has not received any email yet" in text
    at.multiselect(key="nt_status").set_value(["failed"]).run()
    assert list(at.dataframe[1].value["Status"]) == ["FAILED"]


def test_configuration_page_masks_secrets_and_shows_reload_error(
        scenario: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(scenario.config_path.read_text())
    at = open_app(config, monkeypatch)
    at.run()
    at.switch_page(PAGES["configuration"]).run()
    text = _ok(at)
    assert "list-charges" in text and "***" in text
    config.write_text(config.read_text() + "\nbogus_key: 1\n")
    at.run()
    text = _ok(at)
    assert "does not validate" in text and "bogus_key" in text
    assert "list-charges" in text  # the last valid config is still shown


def test_empty_database(empty_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(empty_config, monkeypatch).run()
    assert "No data yet" in _ok(at)
    assert not (empty_config.parent / "none.db").exists()  # the dashboard never creates it
    for page in list(PAGES.values())[1:]:
        at.switch_page(page).run()
        _ok(at)


def test_sign_in_required_when_auth_is_configured(scenario: Scenario,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_app(scenario.config_path, monkeypatch)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback",
                          "cookie_secret": "x", "client_id": "id", "client_secret": "s",
                          "server_metadata_url": "http://127.0.0.1:9/.well-known"}
    at.user = {"is_logged_in": False}
    at.run()
    _ok(at)
    assert "requires signing in" in _text(at)
    assert not at.dataframe and [b.label for b in at.button] == ["Log in"]


def test_a_run_whose_step_got_no_http_status(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    """A step that failed before any response (no HTTP status) beside one that got a 200: the
    run's step table shows an empty status, not a mixed int/text column."""
    db = tmp_path / "copy.db"
    shutil.copy(scenario.db_url.removeprefix("sqlite:///"), db)
    store = open_store(f"sqlite:///{db}")
    at_ms = scenario.now_ms - 60_000
    run = replace(result("crm", "contacts", at=datetime.fromtimestamp(at_ms / 1000, UTC),
                         status=RunStatus.FAILED, category=Category.TIMEOUT, steps=2))
    run.steps[1].http_status = None

    async def write() -> None:
        async with ResultWriter(store) as writer:
            writer.submit(run)

    asyncio.run(write())
    store.close()
    config = tmp_path / "seamwatch.yaml"
    config.write_text(scenario.config_path.read_text(encoding="utf-8").replace(
        scenario.db_url, f"sqlite:///{db}"), encoding="utf-8")
    at = open_app(config, monkeypatch, integration="crm", probe="contacts").run()
    _ok(at)
    steps = [d.value for d in at.dataframe if "HTTP" in d.value.columns]
    assert steps and list(steps[0]["HTTP"]) == ["200", ""]
