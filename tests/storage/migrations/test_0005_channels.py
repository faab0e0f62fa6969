"""Upgrading a database written before revision 0005 (no alert channels): every outbox row and
owed notice becomes the `email` channel's (the name the old `email:` block's channel has), the
alert service delivers the queued email from it, and the downgrade drops the columns again. On
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.service import AlertService
from core.redact import Redactor
from storage.database import downgrade_to, open_store, upgrade_to
from storage.schema.alerts import alert_notices_t, alert_outbox_t
from tests.alerts.conftest import T0, Clock, email_spec, make_config
from tests.support.smtp import start_smtp

BEFORE = "0004_alert_times_ms"
MS = 1_772_442_000_000  # T0


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _fill_at_0004(url: str) -> None:
    store = open_store(url, migrate=False)
    upgrade_to(store, BEFORE)
    with store.write() as conn:
        for status in ("sent", "queued"):
            conn.execute(sa.text(
                "INSERT INTO alert_outbox (message_id, kind, recipients, subject, text_body, "
                "html_body, alert_count, status, attempts, created_ms, next_attempt_ms) VALUES "
                "(:mid, 'firing', 'oncall@example.test', :subject, 'text', '<p>html</p>', 1, "
                ":status, 0, :ms, :ms)"),
                {"mid": f"<{status}@example.test>", "subject": f"[FIRING] {status}",
                 "status": status, "ms": MS})
        sent_id = conn.execute(sa.text(
            "SELECT id FROM alert_outbox WHERE status = 'sent'")).scalar_one()
        conn.execute(sa.text(
            "INSERT INTO alert_notices (created_ms, integration, probe, kind, recipients, "
            "payload, outbox_id) VALUES (:ms, 'payments', 'list', 'firing', "
            "'oncall@example.test', '{}', :sent)"), {"ms": MS, "sent": sent_id})
    store.close()


async def test_existing_rows_become_the_email_channel_and_are_delivered(url: str) -> None:
    _fill_at_0004(url)
    store = open_store(url)  # migrates to head, as `seamwatch serve` does on start
    try:
        with store.engine.connect() as conn:
            outbox = conn.execute(sa.select(alert_outbox_t.c.channel, alert_outbox_t.c.status)
                                  .order_by(alert_outbox_t.c.id)).all()
            notices = conn.execute(sa.select(alert_notices_t.c.channel)).scalars().all()
        assert [tuple(r) for r in outbox] == [("email", "sent"), ("email", "queued")]
        assert notices == ["email"]
        smtp = start_smtp()
        try:
            svc = AlertService(store, make_config(email_spec(smtp.port), []),
                               redactor=Redactor(), clock=Clock(T0))
            await svc.tick()
            await svc.stop()
            assert smtp.collector.subjects == ["[FIRING] queued"]
        finally:
            smtp.stop()
        downgrade_to(store, BEFORE)
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("alert_outbox")}
        assert "channel" not in columns and "status" in columns
        upgrade_to(store, "head")
    finally:
        store.close()
