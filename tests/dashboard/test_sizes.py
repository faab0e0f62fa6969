"""Every page through AppTest at the three data sizes of tests/dashboard/sizes.py (an empty
database, one `seamwatch once` whose probes fail, the 30-day bench seed): the two vocabularies
count the same things on every page, and every chart of the Integration page satisfies
tests/dashboard/charts.py on the figure the page sent."""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.timerange import TimeRange, parse_range
from storage.database import open_store
from storage.reads.probe_series import first_run_ms
from storage.reads.queries import probe_id
from tests.dashboard.apptest import open_app
from tests.dashboard.charts import as_dict, assert_chart
from tests.dashboard.sizes import Sized

PAGES = ("dashboard/pages/overview.py", "dashboard/pages/integration.py",
         "dashboard/pages/alerts.py", "dashboard/pages/notifications.py",
         "dashboard/pages/configuration.py")
CHARTS = {"Latency (ms)", "Time per step (ms)", "Time per phase (ms)", "Failures by category",
          "Rate-limit headroom", "Credential and certificate", "Alert state"}


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label: int(m.value) for m in at.metric}


def test_every_page_counts_the_same_things(sized: Sized,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    at = _ok(open_app(sized.config_path, monkeypatch).run())
    if sized.probes == 0:
        assert "No integrations yet." in at.info[0].value
    else:
        cards = _metrics(at)
        assert cards["Firing"] == sized.firing
        assert cards["Last run failed"] == sized.failed_last
        # every probe has exactly one alert state; without an alert engine it is unknown
        states = ("Firing", "Pending", "Degraded", "Silenced", "OK", "Unknown")
        assert sum(cards[s] for s in states) == sized.probes
        assert cards["Unknown"] == (sized.probes if sized.name == "once" else 0)
        table = at.dataframe[0].value
        assert "State" not in table and {"Alert state", "Last run"} <= set(table)
        if sized.name == "once":  # only failed runs, and no alert engine ran
            assert cards["Last run failed"] == sized.probes
            assert set(table["Alert state"]) == {"⚪ UNKNOWN"}
            assert not any("FIRING" in s for s in table["Alert state"])
    at.switch_page(PAGES[2]).run()
    assert _metrics(_ok(at))["Firing"] == sized.firing  # the overview's word, the same count
    for page in PAGES[1:]:
        at.switch_page(page).run()
        _ok(at)


def _windows(preset: str, before_ms: int, after_ms: int) -> list[TimeRange]:
    return [parse_range(preset, before_ms), parse_range(preset, after_ms)]


@pytest.mark.parametrize("preset", ["24h", "7d"])
def test_every_chart_spans_the_range_and_draws_only_known_history(
        sized: Sized, preset: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if sized.integration is None:
        at = _ok(open_app(sized.config_path, monkeypatch, integration="x").run())
        assert not at.get("plotly_chart")
        assert "No integrations yet." in at.info[0].value
        return
    store = open_store(sized.url, migrate=False)
    try:
        firsts = {}
        for name in ("auth", "list-charges", "api-certificate", *(f"probe-{i}" for i in
                                                                   range(10))):
            pid = probe_id(store, sized.integration, name)
            first = first_run_ms(store, pid) if pid is not None else None
            if first is not None:
                firsts[name] = first
    finally:
        store.close()
    before = int(time.time() * 1000)
    at = _ok(open_app(sized.config_path, monkeypatch, integration=sized.integration,
                  probe=sized.probe or "", range=preset).run())
    windows = _windows(preset, before, int(time.time() * 1000))
    charts = [as_dict(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]
    titles = {assert_chart(c, windows, "UTC", first_run_ms=firsts) for c in charts}
    assert titles == CHARTS
    by_title = {c["layout"]["title"]["text"]: c for c in charts}
    timeline = by_title["Alert state"]
    if sized.name == "once":  # no alert engine ran: said in words, no invented green band
        assert not timeline["data"]
        assert "seamwatch serve" in timeline["layout"]["annotations"][0]["text"]
        bars = by_title["Failures by category"]["data"]
        assert [t["name"] for t in bars] == ["connection"]
        for title in ("Time per step (ms)", "Time per phase (ms)", "Rate-limit headroom"):
            assert not by_title[title]["data"], title  # failed before any timing: said so
    else:
        now = next(t for t in timeline["data"] if t["name"] == "now")
        ends = dict(zip(now["y"], (c[0] for c in now["customdata"]), strict=True))
        assert ends[sized.probe] == "FIRING"  # the current state, visible at the end
        assert set(ends.values()) == {"FIRING", "OK"}
