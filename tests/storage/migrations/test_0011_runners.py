"""Upgrading a database at revision 0010 to 0011 (several runners): alert states and outbox
rows written before keep their values, states get revision 0 (read by every runner), queued
emails are claimable and delivered, and the downgrade drops only what 0005 added. SQLite and
PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.service import AlertService
from core.redact import Redactor
from storage.database import downgrade_to, open_store, upgrade_to
from tests.alerts.conftest import Clock, email_spec, make_config
from tests.support.smtp import start_smtp

BEFORE = "0010_expiries"
STATE = {"integration": "payments", "probe": "list", "state": "firing", "condition": "firing",
         "fail_streak": 3, "good_streak": 0, "ok_streak": 0, "degraded_streak": 0, "flaps": 0,
         "last_failure": "{}", "recent": "[]", "updated_ms": 1_772_442_000_000,
         "notified": "firing", "notified_ms": 1_772_442_000_000,
         "fire_notice_ms": 1_772_442_000_000, "incident_start_ms": 1_772_441_000_000}
OUTBOX = {"message_id": "<m1@example.test>", "kind": "firing", "recipients": "a@example.test",
          "subject": "[FIRING] payments/list", "text_body": "t", "html_body": "<p>t</p>",
          "alert_count": 1, "status": "queued", "attempts": 0, "created_ms": 1_772_442_000_000,
          "next_attempt_ms": 1_772_442_000_000}


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
async def test_upgrade_keeps_states_and_queued_email(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'old.db'}" if dialect == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = open_store(url, migrate=False)
    server = start_smtp()
    try:
        upgrade_to(store, BEFORE)
        with store.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO alert_states (" + ", ".join(STATE) + ") VALUES ("
                + ", ".join(f":{k}" for k in STATE) + ")"), STATE)
            conn.execute(sa.text(
                "INSERT INTO alert_outbox (" + ", ".join(OUTBOX) + ") VALUES ("
                + ", ".join(f":{k}" for k in OUTBOX) + ")"), OUTBOX)
        upgrade_to(store, "head")
        with store.engine.connect() as conn:
            rev, streak = conn.execute(sa.text(
                "SELECT rev, fail_streak FROM alert_states")).one()
            assert (rev, streak) == (0, 3)
            assert "runners" in sa.inspect(conn).get_table_names()
        clock = Clock()
        svc = AlertService(store, make_config(email_spec(server.port), ["payments/list"]),
                           redactor=Redactor([]), clock=clock, owner="r1")
        assert str(svc.states()[("payments", "list")].state) == "firing"
        await svc.tick()
        await svc.stop()
        assert server.collector.subjects == ["[FIRING] payments/list"]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT status, claimed_by FROM alert_outbox")).one() == ("sent", "r1")
        downgrade_to(store, BEFORE)
        insp = sa.inspect(store.engine)
        assert "runners" not in insp.get_table_names()
        assert "rev" not in {c["name"] for c in insp.get_columns("alert_states")}
        assert "lease_until_ms" not in {c["name"] for c in insp.get_columns("alert_outbox")}
    finally:
        server.stop()
        store.close()
