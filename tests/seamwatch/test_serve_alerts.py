"""End to end through `seamwatch serve`: a failing integration sends exactly one FIRING email
with the right subject, recipients and link; its recovery sends exactly one RESOLVED email."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ServeProcess, run_cli, wait_until
from tests.support.servers import UvicornThread, free_port
from tests.support.smtp import SmtpServer, start_smtp
from tests.support.sqlite import runs_per_probe
from tests.support.testapi import TestApi


@pytest.fixture
def api() -> Iterator[tuple[TestApi, str]]:
    app = TestApi()
    with UvicornThread(app.app) as server:
        yield app, server.url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


def _config(folder: Path, api_url: str, smtp_port: int) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults:
  interval: 200ms
  retries: 0
  alerts: {{failure_threshold: 2, recovery_threshold: 2}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, timeout: 5s}}
  from: "seamwatch <alerts@example.test>"
  to: [oncall@example.test]
  dashboard_url: http://dash.example.test:8501
  group_wait: 0s
integrations:
  - name: shop
    base_url: {api_url}
    alerts: {{to: [shop-team@example.test]}}
    auth: {{type: bearer, token: good-token}}
    probes:
      - name: me
        steps: [{{name: whoami, path: /protected}}]
""")
    return path


def test_failure_fires_once_and_recovery_resolves_once(
    tmp_path: Path, api: tuple[TestApi, str], smtp: SmtpServer
) -> None:
    app, url = api
    config = _config(tmp_path, url, smtp.port)
    db = tmp_path / "runs.db"
    mails = smtp.collector
    with ServeProcess(config) as serve:
        wait_until(lambda: runs_per_probe(db).get("me", 0) >= 3, what="healthy runs")
        app.valid_tokens.discard("good-token")  # the API starts rejecting our credential
        wait_until(lambda: any("[FIRING]" in s for s in mails.subjects), what="FIRING email")
        failing_runs = runs_per_probe(db).get("me", 0)
        wait_until(lambda: runs_per_probe(db).get("me", 0) >= failing_runs + 5,
                   what="more failing runs")

        status = run_cli(["status", "-c", str(config), "--json"])
        assert status.returncode == 1  # an alert is firing

        app.valid_tokens.add("good-token")
        wait_until(lambda: any("[RESOLVED]" in s for s in mails.subjects),
                   what="RESOLVED email")
        healthy_runs = runs_per_probe(db).get("me", 0)
        wait_until(lambda: runs_per_probe(db).get("me", 0) >= healthy_runs + 5,
                   what="more healthy runs")
        assert serve.terminate() == 0

    subjects = mails.subjects
    firing = [s for s in subjects if s.startswith("[FIRING]")]
    resolved = [s for s in subjects if s.startswith("[RESOLVED]")]
    assert len(firing) == 1 and len(resolved) == 1, subjects
    assert firing[0] == "[FIRING] shop/me — auth: http_401"
    assert resolved[0].startswith("[RESOLVED] shop/me")
    recipients, message = next((r, m) for r, m in mails.messages if m["Subject"] == firing[0])
    assert sorted(recipients) == ["oncall@example.test", "shop-team@example.test"]
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    link = "http://dash.example.test:8501?integration=shop&probe=me"
    assert link in text.get_content()
    assert link.replace("&", "&amp;") in html.get_content()
    assert "whoami" in text.get_content() and "401" in text.get_content()
    assert run_cli(["status", "-c", str(config)]).returncode == 0  # resolved


def _outbox(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return conn.execute("select kind, status from alert_outbox order by id").fetchall()
        except sqlite3.OperationalError:
            return []


def test_kill_9_with_queued_emails_then_restart_delivers_once(
    tmp_path: Path, api: tuple[TestApi, str]
) -> None:
    """The SMTP server is down while an alert fires, so its email waits in the outbox; serve is
    killed with SIGKILL; after a restart with the SMTP server up, the email arrives exactly once
    and the still-firing alert is not emailed again."""
    app, url = api
    smtp_port = free_port()  # nothing listens here yet
    config = _config(tmp_path, url, smtp_port)
    db = tmp_path / "runs.db"
    app.valid_tokens.discard("good-token")
    with ServeProcess(config) as serve:
        wait_until(lambda: ("firing", "queued") in _outbox(db), what="a queued FIRING email")
        serve.kill()
    assert _outbox(db).count(("firing", "queued")) == 1

    smtp = start_smtp(port=smtp_port)
    try:
        with ServeProcess(config) as again:
            wait_until(lambda: smtp.collector.subjects, what="the queued email delivered")
            runs = runs_per_probe(db).get("me", 0)
            wait_until(lambda: runs_per_probe(db).get("me", 0) >= runs + 5,
                       what="more failing runs")
            assert again.terminate() == 0
        assert smtp.collector.subjects == ["[FIRING] shop/me — auth: http_401"]
        assert _outbox(db) == [("firing", "sent")]
    finally:
        smtp.stop()
