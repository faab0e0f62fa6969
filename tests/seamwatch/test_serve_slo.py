"""`seamwatch serve` as a real process with `slo:` and `email.reports`: the alert tick records
each SLO's burn-rate state, and the period report is queued and delivered over SMTP (aiosmtpd on
loopback)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.cli import ServeProcess, wait_until
from tests.support.servers import UvicornThread
from tests.support.smtp import start_smtp
from tests.support.testapi import TestApi


def _slo_states(db: Path) -> list[tuple[str, str]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return conn.execute("select target, severity from slo_states").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []


def test_serve_evaluates_slos_and_mails_the_report(tmp_path: Path) -> None:
    smtp = start_smtp()
    try:
        with UvicornThread(TestApi().app) as api:
            config = tmp_path / "seamwatch.yaml"
            config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{interval: 200ms, timeout: 5s, retries: 0}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp.port}, security: none, timeout: 5s}}
  from: "seamwatch <alerts@example.test>"
  to: [oncall@example.test]
  group_wait: 0s
  reports: {{every: weekly}}
integrations:
  - name: shop
    slo: {{objective: 99.9%}}
    base_url: {api.url}
    probes:
      - {{name: alpha, slo: {{objective: 99%}}, steps: [{{name: list, path: /v1/items}}]}}
""")
            with ServeProcess(config) as serve:
                serve.wait_for_log("period report queued for email")
                wait_until(lambda: smtp.collector.messages, what="the report email")
                states = wait_until(lambda: sorted(_slo_states(tmp_path / "runs.db")),
                                    what="SLO states")
                assert serve.terminate() == 0
        assert states == [("shop", "ok"), ("shop/alpha", "ok")]
        (rcpts, msg), = smtp.collector.messages
        assert rcpts == ["oncall@example.test"]
        assert str(msg["Subject"]).startswith("[REPORT] seamwatch, last 7d: 1 integrations")
        assert "shop" in msg.get_body(("plain",)).get_content()
    finally:
        smtp.stop()
