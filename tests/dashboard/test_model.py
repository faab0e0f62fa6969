"""Time ranges, the state vocabulary, overview rows and filters, config masking (canary secrets),
the launcher."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from core.states import AlertState
from dashboard import model, states
from dashboard.config_view import masked_config, schedule_rows
from dashboard.timerange import (
    DAY_MS,
    HOUR_MS,
    MAX_POINTS,
    PRESETS,
    choose_bucket_ms,
    parse_range,
)
from seamwatch.config import load_config
from seamwatch.dashboard_cmd import dashboard_env, ensure_port_free, streamlit_command
from seamwatch.errors import UserError
from storage.reads.alert_history import AlertNow
from storage.reads.analytics import IntegrationOverview, ProbeOverview
from tests.dashboard.seed import CANARY, write_config

NOW = 1_767_225_600_000


@pytest.mark.parametrize("preset", list(PRESETS))
def test_presets_keep_series_to_a_few_hundred_points(preset: str) -> None:
    tr = parse_range(preset, NOW + 1234)
    assert tr.preset == preset and tr.to_param() == preset
    assert 100 <= tr.points <= MAX_POINTS + 1
    assert tr.start_ms % tr.bucket_ms == 0 and tr.end_ms >= NOW + 1234
    assert tr.end_ms - tr.start_ms >= PRESETS[preset]


def test_bucket_ladder() -> None:
    assert choose_bucket_ms(HOUR_MS) == 15_000
    assert choose_bucket_ms(DAY_MS) == 300_000
    assert choose_bucket_ms(30 * DAY_MS) == 3 * HOUR_MS


def test_custom_and_invalid_ranges() -> None:
    tr = parse_range("2026-01-01T00:00Z..2026-01-03T00:00Z", NOW)
    assert tr.preset == "custom" and tr.span_ms == 2 * DAY_MS and tr.bucket_ms == 10 * 60_000
    assert tr.to_param() == "2026-01-01T00:00Z..2026-01-03T00:00Z"
    assert parse_range("2026-01-01..2026-01-02", NOW).span_ms == DAY_MS  # naive = UTC
    for bad in ("junk", "2026-01-02..2026-01-01", "", None, "5y"):
        assert parse_range(bad, NOW).preset == "24h"


def _integ(name: str, tags: list[str], probes: list[tuple[str, str | None]]
           ) -> IntegrationOverview:
    integ = IntegrationOverview(name, f"{name} API", tags, None)
    for i, (probe, status) in enumerate(probes):
        p = ProbeOverview(i, name, probe, "http", None, last_status=status,
                          last_run_ms=NOW if status else None)
        integ.probes.append(p)
    return integ


def test_two_vocabularies_alert_state_and_last_run() -> None:
    assert states.ALERT_STATES == (
        "firing", "pending", "degraded", "silenced", "ok", "unknown")
    assert set(states.ALERT_STATES) == {*AlertState, "unknown"}
    assert states.ALERTING_STATES == ("firing", "pending", "degraded", "silenced")
    assert states.RUN_STATUSES == ("failed", "degraded", "ok")
    assert set(states.LOOKS) == set(states.ALERT_STATES)
    assert set(states.RUN_MARKS) == set(states.RUN_STATUSES)
    assert states.look(None) == states.LOOKS["unknown"]
    assert states.look("retired") == states.UNKNOWN_LOOK
    # the words of one never pass for the other's: a failed run is not "firing"
    assert "failed" not in states.ALERT_STATES and "firing" not in states.RUN_STATUSES


@pytest.mark.parametrize(("given", "worst"), [
    (["ok", "degraded", "pending"], "pending"),
    (["ok", "silenced"], "silenced"),
    (["ok", "firing", "unknown"], "firing"),
    ([None, "ok"], "ok"),
    (["unknown", "ok"], "ok"),
    ([], "unknown"),
])
def test_worst_state_order(given: list[str | None], worst: str) -> None:
    assert states.worst_state(given) == worst


def test_unknown_words_sort_last() -> None:
    assert states.severity("retired") == len(states.ALERT_STATES)
    assert states.worst_run(["ok", "failed", None]) == "failed"
    assert states.worst_run([]) is None


def test_overview_rows_worst_first_and_filters() -> None:
    integrations = [
        _integ("alpha", ["prod"], [("a1", "ok"), ("a2", "ok")]),
        _integ("bravo", ["prod", "billing"], [("b1", "ok"), ("b2", "failed")]),
        _integ("charlie", [], [("c1", "failed")]),
        _integ("delta", [], [("d1", None)]),
        _integ("echo", [], [("e1", "ok")]),
    ]
    alerts = [AlertNow("bravo", "b2", "firing", "firing", NOW, None, 3, None, {}),
              AlertNow("bravo", "b1", "ok", "ok", NOW, None, 0, None, {}),
              AlertNow("alpha", "a2", "degraded", "degraded", NOW, None, 0, None, {}),
              AlertNow("alpha", "a1", "ok", "ok", NOW, None, 0, None, {})]
    rows = model.overview_rows(integrations, alerts)
    # no alert state is `unknown`, whatever the runs say; among equals, the worst last run first
    assert [(r.name, r.state, r.last_run) for r in rows] == [
        ("bravo", "firing", "failed"), ("alpha", "degraded", "ok"),
        ("charlie", "unknown", "failed"), ("echo", "unknown", "ok"), ("delta", "unknown", None)]
    assert model.state_counts(rows) == {"ok": 2, "firing": 1, "degraded": 1, "unknown": 3}
    assert model.run_counts(rows) == {"ok": 4, "failed": 2}
    assert (rows[0].failed_probes, len(rows[0].last_runs)) == (1, 2)
    assert [r.name for r in model.filter_rows(rows, tags=["billing"])] == ["bravo"]
    assert [r.name for r in model.filter_rows(rows, name="AL")] == ["alpha"]
    assert [r.name for r in model.filter_rows(rows, states=["firing", "degraded"])] == [
        "bravo", "alpha"]
    assert [r.name for r in model.filter_rows(rows, last_runs=["failed"])] == [
        "bravo", "charlie"]
    assert model.default_probe(integrations[1].probes, rows[0].probe_states) == "b2"


def test_config_page_masks_every_secret(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path / "c.yaml",
                                      f"sqlite:///{tmp_path}/x.db"))
    shown = json.dumps(masked_config(config))
    assert CANARY not in shown
    assert shown.count("***") >= 4  # client secret, bearer token, header, smtp password
    assert "oauth2_client_credentials" in shown and "seamwatch" in shown
    pg = config.storage.model_copy(update={"url": f"postgresql://u:{CANARY}@db/x"})
    leaky = config.__class__(**{**config.__dict__, "storage": pg})
    assert CANARY not in json.dumps(masked_config(leaky))
    assert masked_config(config)["storage"]["raw_retention"] == "30d"
    rows = schedule_rows(config)
    assert [(r["integration"], r["probe"]) for r in rows][:3] == [
        ("payments", "auth"), ("payments", "list-charges"), ("payments", "api-certificate")]
    assert rows[1]["every"] == "1m" and rows[1]["fails before firing"] == 3


def test_port_in_use_names_the_port_and_the_option() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserError, match=rf"port {port} .* --port"):
            ensure_port_free("127.0.0.1", port)


def test_launch_command_and_environment(tmp_path: Path) -> None:
    cmd = streamlit_command("127.0.0.1", 8600)
    assert cmd[1:3] == ["-m", "dashboard.launch"] and cmd[3].endswith("streamlit_app.py")
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8600" in cmd
    assert "--client.toolbarMode=viewer" in cmd and "--browser.gatherUsageStats=false" in cmd
    env = dashboard_env(Path("rel.yaml"), str(tmp_path / "mail"), base={"PATH": "/bin"})
    assert env["SEAMWATCH_CONFIG"] == str(Path("rel.yaml").absolute())
    assert env["SEAMWATCH_MAILBOX"] == str(tmp_path / "mail") and env["PATH"] == "/bin"
