"""Every page in real Chromium at the three data sizes of tests/dashboard/sizes.py, one server
per size. Each page is screenshotted to test-artifacts/dashboard-<size>-<page>.png (gitignored,
the paths are printed) for a reviewer to look at; the charts are checked as the browser drew
them: the x axis spans the selected 24 h, the legend never overlaps the title, and a chart with
nothing to draw shows its explanation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from dashboard.timerange import DAY_MS
from tests.dashboard.sizes import Sized
from tests.support.browser import ARTIFACTS, chromium_page, dashboard_server

pytestmark = pytest.mark.browser

# (name, path, heading, a text shown once the page has drawn its panel)
PAGES = (("overview", "/", "Overview", "Last run failed"),
         ("integration", "/integration", None, "No integrations yet"),
         ("alerts", "/alerts", "Alerts", "Mean time to recovery"),
         ("slo", "/slo", "SLOs", "No SLO configured"),
         ("foresight", "/foresight", "Expiries & quotas", "Rate-limit quotas"),
         ("runners", "/runners", "Runners", "No runner has registered yet"),
         ("notifications", "/notifications", "Notifications", "Outbox"),
         ("configuration", "/configuration", "Configuration", "Loaded config"))
# What the browser drew, per chart: its title, x range, empty-state text, and the boxes of its
# title and legend.
_DRAWN = """els => els.map(gd => {
  const box = sel => {
    const e = gd.querySelector(sel); if (!e) return null;
    const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  return {title: (gd.querySelector('.gtitle') || {}).textContent,
          range: gd._fullLayout.xaxis.range,
          traces: gd.data.length,
          notes: Array.from(gd.querySelectorAll('.annotation-text')).map(a => a.textContent),
          titleBox: box('.gtitle'), legendBox: gd.data.length ? box('.legend') : null};
})"""


@pytest.fixture(scope="module")
def session(sized: Sized) -> Iterator[tuple[Sized, str, Any]]:
    with dashboard_server(sized.config_path) as url, chromium_page() as page:
        yield sized, url, page


def _overlap(a: list[float] | None, b: list[float] | None) -> bool:
    if a is None or b is None:
        return False
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _ms(text: str) -> float:
    return datetime.fromisoformat(text).timestamp() * 1000


def _shoot(page: Any, size: str, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window is made as tall
    as that block for the picture (same width: the charts keep their size)."""
    path = ARTIFACTS / f"dashboard-{size}-{name}.png"
    size_before = page.viewport_size
    tall = page.evaluate("(document.querySelector('[data-testid=\"stMain\"]') || "
                         "document.body).scrollHeight")
    page.set_viewport_size({"width": size_before["width"],
                            "height": max(size_before["height"], min(int(tall), 8000))})
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size_before)
    print(f"screenshot: {path}")


def test_every_page_at_every_size(session: tuple[Sized, str, Any]) -> None:
    sized, url, page = session
    for name, path, heading, drawn_text in PAGES:
        if name == "integration" and sized.integration:
            page.goto(f"{url}{path}?integration={sized.integration}&probe={sized.probe}"
                      "&range=24h")
            page.get_by_role("heading", name=sized.integration).first.wait_for()
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 7")
            page.get_by_text("Recent runs").first.wait_for()
        else:
            page.goto(f"{url}{path}?range=24h")
            if heading:
                page.get_by_role("heading", name=heading).first.wait_for()
            if name == "overview" and not sized.probes:
                drawn_text = "No integrations yet"
            page.get_by_text(drawn_text).first.wait_for()
        if name == "overview" and sized.probes:
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
        if name == "foresight":  # its quota charts draw after the heading
            page.wait_for_function(
                "document.querySelectorAll('.js-plotly-plot').length >= 1 || "
                "document.body.innerText.includes('No rate-limit headers in this range')")
        if name == "configuration":
            page.locator('[data-testid="stJson"]').first.wait_for()
            page.get_by_text("Scheduled probes").first.wait_for()
        _shoot(page, sized.name, name)
        assert page.locator('[data-testid="stException"]').count() == 0, name
        drawn = page.locator(".js-plotly-plot").evaluate_all(_DRAWN)
        for chart in drawn:
            start, end = (_ms(t) for t in chart["range"])
            if str(chart["title"]).startswith("Rate limit"):
                # the selected 24 h, then on to the forecast's end (figures/quota.py)
                assert end - start >= DAY_MS, chart
            else:
                # the selected 24 h (its start aligned down to a 5 min bucket), whatever was drawn
                assert DAY_MS <= end - start <= DAY_MS + 5 * 60_000, chart
            assert not _overlap(chart["titleBox"], chart["legendBox"]), chart
            if not chart["traces"]:
                assert chart["notes"] and all(chart["notes"]), chart
        if name == "integration" and sized.integration:
            assert len(drawn) == 7
            if sized.name == "once":
                notes = {c["title"]: c["notes"] for c in drawn}
                assert "seamwatch serve" in " ".join(notes["Alert state"]), notes
