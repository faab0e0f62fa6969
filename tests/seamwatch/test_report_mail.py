"""`email.reports`: the period report queued in the outbox once per `every` and delivered over
SMTP (aiosmtpd on loopback) by the alert service, redacted."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from alerts.service import AlertService
from seamwatch.config import ConfigError, load_config
from seamwatch.report_mail import queue_due_report
from storage.database import open_store
from storage.schema import alert_outbox_t
from tests.seamwatch.conftest import WriteConfig
from tests.storage.seed import DAY, MIN, R, write_runs
from tests.support.smtp import start_smtp

SECRET = "report-canary-5150"
NOW = 1_767_225_600_000  # 2026-01-01T00:00Z


def test_weekly_report_is_queued_once_a_week_and_delivered(
        write_config: WriteConfig, tmp_path: object) -> None:
    server = start_smtp()
    try:
        path = write_config(f"""\
            storage: {{url: "sqlite:///{tmp_path}/seamwatch.db"}}
            email:
              smtp: {{host: 127.0.0.1, port: {server.port}, security: none, timeout: 5s}}
              from: "seamwatch <alerts@example.test>"
              to: [oncall@example.test]
              dashboard_url: http://127.0.0.1:8501
              reports: {{every: weekly, to: [boss@example.test]}}
            integrations:
              - name: payments
                slo: {{objective: 99%}}
                base_url: http://127.0.0.1:9
                auth: {{type: bearer, token: "{SECRET}"}}
                probes:
                  - {{name: charges, steps: [{{name: get, path: /}}]}}
        """)
        config = load_config(path, environ={})
        store = open_store(config.storage_url)
        runs = [R(NOW - (100 - i) * 10 * MIN, 100.0) for i in range(100)]
        runs[5].status, runs[5].message = "failed", f"echoed {SECRET}"
        write_runs(store, "payments", "charges", runs)
        redactor = config.redactor()
        assert queue_due_report(store, config, redactor, NOW)
        assert not queue_due_report(store, config, redactor, NOW + 6 * DAY)
        clock = datetime.fromtimestamp(NOW / 1000, UTC)

        async def deliver() -> None:
            svc = AlertService(store, config, redactor=redactor, clock=lambda: clock)
            await svc.tick()
            await svc.stop()

        asyncio.run(deliver())
        (rcpts, msg), = server.collector.messages
        assert rcpts == ["boss@example.test"]
        assert str(msg["Subject"]) == "[REPORT] seamwatch, last 7d: 1 integrations, 0 incidents"
        assert msg["X-Seamwatch-Kind"] == "report"
        text = msg.get_body(("plain",)).get_content()
        assert "payments     99.000%    99.000%     100.0%       100   1" in text
        html = msg.get_body(("html",)).get_content()
        assert 'href="http://127.0.0.1:8501/slo"' in html
        assert SECRET not in msg.as_string()
        assert queue_due_report(store, config, redactor, NOW + 7 * DAY)
        store.close()
    finally:
        server.stop()


@pytest.mark.parametrize(("every", "message"), [
    ("30m", "must be at least 1h"), ("fortnightly", "expected a duration"),
])
def test_bad_every_is_a_config_error(write_config: WriteConfig, every: str,
                                     message: str) -> None:
    from seamwatch.config import ConfigError

    path = write_config(f"""\
        email:
          smtp: {{host: 127.0.0.1}}
          from: a@example.test
          reports: {{every: {every}, to: [not-an-address]}}
        integrations:
          - name: payments
            base_url: http://127.0.0.1:9
            probes:
              - {{name: charges, steps: [{{name: get, path: /}}]}}
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    text = str(caught.value)
    assert "email.reports.every" in text and message in text
    assert "email.reports.to[0]: 'not-an-address' is not an e-mail address" in text


def test_with_channels_the_report_goes_through_the_named_email_channel(
        write_config: WriteConfig, tmp_path: object) -> None:
    path = write_config(f"""\
        storage: {{url: "sqlite:///{tmp_path}/seamwatch.db"}}
        notifications:
          reports: {{every: daily, channel: leads}}
        channels:
          oncall: {{type: email, smtp: {{host: 127.0.0.1, port: 2525}}, from: a@example.test,
                    to: [oncall@example.test]}}
          leads: {{type: email, smtp: {{host: 127.0.0.1, port: 2526}}, from: b@example.test,
                   to: [lead@example.test]}}
        integrations:
          - name: payments
            base_url: http://127.0.0.1:9
            probes:
              - {{name: charges, steps: [{{name: get, path: /}}]}}
    """)
    config = load_config(path, environ={})
    store = open_store(config.storage_url)
    try:
        assert queue_due_report(store, config, config.redactor(), NOW)
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(alert_outbox_t.c.channel, alert_outbox_t.c.recipients,
                                         alert_outbox_t.c.kind)).one()
        assert tuple(row) == ("leads", "lead@example.test", "report")
    finally:
        store.close()


def test_a_report_channel_that_is_not_an_email_channel_is_reported(
        write_config: WriteConfig) -> None:
    path = write_config("""\
        notifications:
          reports: {every: weekly, channel: chat}
        channels:
          chat: {type: webhook, url: "http://127.0.0.1:1/",
                 secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}
        integrations:
          - name: payments
            base_url: http://127.0.0.1:9
            probes:
              - {name: charges, steps: [{name: get, path: /}]}
    """)
    with pytest.raises(ConfigError) as problem:
        load_config(path, environ={})
    message = str(problem.value)
    assert ("notifications.reports.channel: no email channel named `chat` (email channels: "
            "none)") in message
    assert ":2:" in message  # at its line
