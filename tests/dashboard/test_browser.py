"""The real thing: `seamwatch dashboard` in a subprocess, driven by Debian's Chromium through
Playwright. One server and one browser for the module; screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.dashboard.conftest import Scenario
from tests.dashboard.seed import CANARY
from tests.support.browser import ARTIFACTS, chromium_page, dashboard_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(scenario: Scenario) -> Iterator[str]:
    with dashboard_server(scenario.config_path) as url:
        yield url


@pytest.fixture(scope="module")
def browser_page(server: str) -> Iterator[Any]:
    with chromium_page() as page:
        yield page


def _open(page: Any, url: str, heading: str, name: str, *, expect: tuple[str, ...] = (),
          charts: int = 0) -> str:
    """Open `url`, wait until the heading and every `expect` text are shown (and `charts`
    Plotly charts drawn), screenshot it, and check there is no error box or leaked secret."""
    page.goto(url)
    page.get_by_role("heading", name=heading).first.wait_for()
    for text in expect:
        page.get_by_text(text).first.wait_for()
    if charts:
        page.wait_for_function(
            f"document.querySelectorAll('.js-plotly-plot').length >= {charts}")
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    errors = page.locator('[data-testid="stAlertContentError"]').evaluate_all(
        "els => els.map(e => e.textContent.trim())")
    # outbox rows and failing channels only
    assert all(e.startswith(("Last error", "Channel ")) for e in errors), errors
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    body = str(page.locator("body").inner_text())
    assert CANARY not in page.content()
    return body


def test_overview_in_chromium(browser_page: Any, server: str) -> None:
    _open(browser_page, server + "/", "Overview", "overview", expect=("Firing", "Degraded"))
    assert "seamwatch" in browser_page.title()
    grid = browser_page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    assert grid.is_visible()


def test_deep_link_to_probe_charts(browser_page: Any, server: str) -> None:
    body = _open(browser_page, server + "/?integration=payments&probe=list-charges&range=24h",
                 "payments", "integration", expect=("Recent runs",), charts=7)
    assert "/integration" in browser_page.url and "probe=list-charges" in browser_page.url
    assert "Recent runs" in body and "Europe/Berlin" in body
    titles = browser_page.locator(".js-plotly-plot .gtitle").evaluate_all(
        "els => els.map(e => e.textContent)")
    for expected in ("Latency (ms)", "Time per step (ms)", "Time per phase (ms)",
                     "Failures by category", "Alert state", "Rate-limit headroom"):
        assert expected in titles, titles


def test_alerts_notifications_configuration(browser_page: Any, server: str) -> None:
    _open(browser_page, server + "/alerts", "Alerts", "alerts",
          expect=("Incidents", "Mean time to recovery"))
    _open(browser_page, server + "/notifications", "Notifications", "notifications",
          expect=("Outbox", "crm/contacts"))
    body = _open(browser_page, server + "/configuration", "Configuration", "configuration",
                 expect=("Schedule", "Loaded config"))
    assert "Scheduled probes" in body and "integrations" in body
