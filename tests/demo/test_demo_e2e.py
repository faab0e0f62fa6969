"""`seamwatch demo` end to end: on free ports, every demo probe records runs, a forced outage of
the sandbox reaches the mail catcher as a FIRING email, and recovery as a RESOLVED one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from alerts.mailbox import list_messages
from seamwatch.config import load_config
from seamwatch.demo.command import DEMO_CONFIG, DemoPorts, demo_environment
from seamwatch.demo.mailcatcher import mail_folder
from tests.support.browser import ARTIFACTS, chromium_page, require_chromium
from tests.support.cli import CliProcess, wait_until
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliProcess, DemoPorts, Path]]:
    data = tmp_path_factory.mktemp("demo") / "data"
    ports = DemoPorts(dashboard=free_port(), api=free_port(), smtp=free_port(),
                      listen=free_port())
    process = CliProcess(
        ["demo", "--data", str(data), "--port", str(ports.dashboard), "--api-port",
         str(ports.api), "--smtp-port", str(ports.smtp), "--listen-port", str(ports.listen)],
        cwd=data.parent, env={"SEAMWATCH_DEMO_INTERVAL": "1s"},
    )
    with process:
        process.wait_for_log(r"serving \d+ probes", timeout=120)
        yield process, ports, data
        assert process.terminate() == 0
    assert "Traceback" not in process.log


def _probe_runs(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute(
                "select i.name || '/' || p.name, count(*) from runs r "
                "join probes p on p.id = r.probe_id join integrations i "
                "on i.id = p.integration_id group by 1").fetchall()
        except sqlite3.OperationalError:
            return {}
    return dict(rows)


def test_every_demo_probe_records_runs(demo: tuple[CliProcess, DemoPorts, Path]) -> None:
    _, ports, data = demo
    expected = {e.key for e in load_config(
        DEMO_CONFIG, environ=demo_environment(data, ports)).entries}
    assert {"sandbox/auth", "sandbox/list-customers"} <= expected
    db = data / "seamwatch.db"
    wait_until(lambda: expected <= {k for k, n in _probe_runs(db).items() if n >= 2},
               timeout=120, what=f"runs of {sorted(expected)}")


def test_outage_fires_and_recovery_resolves(demo: tuple[CliProcess, DemoPorts, Path]) -> None:
    _, ports, data = demo
    api = f"http://127.0.0.1:{ports.api}"
    mailbox = mail_folder(data)
    forced = httpx.post(f"{api}/_sandbox/phase", json={"phase": "outage", "for_s": 10})
    assert forced.status_code == 200, forced.text
    subjects = lambda: [m.subject for m in list_messages(mailbox)]  # noqa: E731
    wait_until(lambda: any(s.startswith("[FIRING]") and "server_error" in s
                           for s in subjects()), timeout=120, what="a FIRING email")
    wait_until(lambda: any(s.startswith("[RESOLVED]") for s in subjects()),
               timeout=120, what="a RESOLVED email")
    firing = next(m for m in list_messages(mailbox) if m.subject.startswith("[FIRING]"))
    assert "sandbox/" in firing.subject
    assert f"http://localhost:{ports.dashboard}?integration=sandbox" in firing.text
    assert firing.html and "sandbox" in firing.html


@pytest.mark.browser
def test_dashboard_shows_the_demo_integration_and_its_incident(
    demo: tuple[CliProcess, DemoPorts, Path],
) -> None:
    """After the outage above: the dashboard, in real Chromium, shows the sandbox integration
    with its state, and the Alerts page has a resolved incident (a mean time to recovery)."""
    require_chromium()  # before waiting for the outage: without a browser there is nothing to see
    _, ports, data = demo
    base = f"http://127.0.0.1:{ports.dashboard}"
    wait_until(lambda: any(m.subject.startswith("[RESOLVED]")
                           for m in list_messages(mail_folder(data))),
               timeout=180, what="the outage to resolve")
    with chromium_page() as page:
        page.goto(f"{base}/integration?integration=sandbox")
        page.get_by_role("heading", name="sandbox").first.wait_for()
        page.get_by_text("Uptime 24h").first.wait_for()  # the page renders progressively
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 1")
        body = str(page.locator("body").inner_text())
        assert any(state in body for state in ("OK", "FIRING", "PENDING", "DEGRADED"))
        page.screenshot(path=str(ARTIFACTS / "demo-integration.png"))
        assert page.locator('[data-testid="stException"]').count() == 0

        page.goto(f"{base}/")
        page.get_by_role("heading", name="Overview").first.wait_for()
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.screenshot(path=str(ARTIFACTS / "demo-overview.png"))

        page.goto(f"{base}/alerts")
        page.get_by_role("heading", name="Mean time to recovery").first.wait_for()
        assert page.get_by_text("No resolved incidents in this time range.").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
