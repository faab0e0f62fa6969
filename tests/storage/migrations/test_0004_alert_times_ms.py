"""Upgrading a database that `main` wrote before revision 0004 (alert times as timestamptz):
every run, step, rollup, queued late run, alert state, event, notice and outbox email survives
with the same instants (to the millisecond, rounded down), and the running code — the alert
service delivering queued email, the dashboard's read models — works on the upgraded database.
On SQLite and PostgreSQL; the downgrade restores the timestamps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerts.repo import AlertRepo
from alerts.service import AlertService
from core.redact import Redactor
from probes.result import Category, RunStatus
from storage.database import Store, downgrade_to, head_revision, open_store, upgrade_to
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.reads import alert_history, analytics, probe_series
from storage.reads.queries import probe_id
from storage.rollups.write import roll_up_completed_hours
from storage.schema.alerts import alert_notices_t
from tests.alerts.conftest import Clock, email_spec, make_config
from tests.storage.factories import T0, result
from tests.storage.migrations.older import current_run_columns, dump_rows
from tests.support.smtp import start_smtp

BEFORE = "0003_rollup_watermark"  # the head revision on `main` before this change
NOW = T0 + timedelta(hours=6, minutes=20)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TS = sa.DateTime(timezone=True)
RUN_TABLES = {  # table -> its key order
    "integrations": "id", "probes": "id", "locations": "id", "id_counters": "name",
    "runs": "probe_id, started_ms, id", "run_steps": "run_id, idx",
    "run_rollups_hourly": "probe_id, hour_ms", "rollup_state": "id",
    "rollup_late_runs": "run_id",
}


def ms(value: datetime) -> int:
    """What the migration stores: exact UTC epoch milliseconds, rounded down."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def at(minutes: float, micros: int = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, microseconds=micros)


# -- the alert tables as revision 0002 created them (what `main`'s alerts/tables.py wrote) -----
old = sa.MetaData()
old_states = sa.Table(
    "alert_states", old,
    sa.Column("integration", sa.String(200), primary_key=True),
    sa.Column("probe", sa.String(200), primary_key=True),
    *(sa.Column(c, sa.String(16)) for c in ("state", "condition", "notified")),
    sa.Column("silenced_by", sa.String(200)),
    *(sa.Column(c, sa.Integer) for c in ("fail_streak", "good_streak", "ok_streak",
                                          "degraded_streak", "flaps")),
    *(sa.Column(c, TS) for c in ("since", "incident_start", "notified_at", "fire_notice_at",
                                 "updated_at")),
    sa.Column("last_failure", sa.JSON), sa.Column("recent", sa.JSON),
)
old_events = sa.Table(
    "alert_events", old, sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", TS),
    *(sa.Column(c, sa.String(200)) for c in ("integration", "probe", "from_state", "to_state",
                                             "condition", "reason")),
    sa.Column("run_started_at", TS), sa.Column("run_id", sa.BigInteger),
)
old_outbox = sa.Table(
    "alert_outbox", old, sa.Column("id", sa.Integer, primary_key=True),
    *(sa.Column(c, sa.Text) for c in ("message_id", "kind", "recipients", "subject", "text_body",
                                      "html_body", "status", "last_error")),
    sa.Column("alert_count", sa.Integer), sa.Column("attempts", sa.Integer),
    *(sa.Column(c, TS) for c in ("created_at", "next_attempt_at", "sent_at")),
)
old_notices = sa.Table(
    "alert_notices", old, sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", TS),
    *(sa.Column(c, sa.Text) for c in ("integration", "probe", "kind", "recipients")),
    sa.Column("payload", sa.JSON), sa.Column("outbox_id", sa.Integer),
)

STATE: dict[str, Any] = {
    "integration": "payments", "probe": "list", "state": "firing", "condition": "firing",
    "notified": "firing", "silenced_by": None, "fail_streak": 3, "good_streak": 0,
    "ok_streak": 0, "degraded_streak": 0, "flaps": 1,
    "since": at(30, 123_456), "incident_start": at(10, 999), "notified_at": at(31, 500_000),
    "fire_notice_at": at(31, 500_000), "updated_at": at(31, 777_777),
    "last_failure": {"category": "server_error", "reason": "http_500", "at": at(30).isoformat()},
    "recent": [{"at": at(30).isoformat(), "status": "failed", "latency_ms": 100.0,
                "cause": "server_error: http_500"}],
}
SENT: dict[str, Any] = {  # an email delivered before the upgrade
    "id": 1, "message_id": "<sent.1@seamwatch>", "kind": "firing",
    "recipients": "oncall@example.test", "subject": "[FIRING] payments/list — server_error",
    "text_body": "firing", "html_body": "<p>firing</p>", "alert_count": 1, "status": "sent",
    "attempts": 1, "last_error": None, "created_at": at(31, 500_000),
    "next_attempt_at": at(31, 500_000), "sent_at": at(31, 2_000_001),
}
QUEUED: dict[str, Any] = {  # an email waiting for a retry when the old version stopped
    **SENT, "id": 2, "message_id": "<queued.2@seamwatch>", "kind": "reminder",
    "subject": "[REMINDER] payments/list — still firing", "status": "queued",
    "last_error": "connection refused", "created_at": at(40, 250_000),
    "next_attempt_at": at(41, 750_000), "sent_at": None,
}
DEGRADED_PAYLOAD: dict[str, Any] = {
    "integration": "crm", "probe": "contacts", "kind": "degraded", "at": at(45).isoformat(),
    "category": None, "reason": None, "message": None, "failed_step": None,
    "http_status": None, "degraded_reason": "latency 2.5s over degraded_latency 2s",
    "incident_start": None, "recent": [], "flaps": 0, "after_maintenance": None,
}
NOTICES: list[dict[str, Any]] = [
    {"id": 1, "created_at": at(31, 400_000), "integration": "payments", "probe": "list",
     "kind": "firing", "recipients": "oncall@example.test", "payload": {}, "outbox_id": 1},
    {"id": 2, "created_at": at(40, 200_000), "integration": "payments", "probe": "list",
     "kind": "reminder", "recipients": "oncall@example.test", "payload": {}, "outbox_id": 2},
    {"id": 3, "created_at": at(45, 1), "integration": "crm", "probe": "contacts",
     "kind": "degraded", "recipients": "oncall@example.test", "payload": DEGRADED_PAYLOAD,
     "outbox_id": None},  # owed, not grouped into an email yet
]


@dataclass
class Before:
    tables: dict[str, list[Any]]
    run_ids: list[int]


def _dump(store: Store, like: dict[str, list[Any]] | None = None) -> dict[str, list[Any]]:
    return dump_rows(store, RUN_TABLES, like)


async def _write_runs(store: Store) -> None:
    """36 two-step runs over six hours (every 4th failed), rolled up, plus one late run left
    queued for its already rolled-up hour."""
    sync_catalog(store, [("payments", "list", "http", {}), ("crm", "contacts", "http", {})])
    async with ResultWriter(store, batch_size=10) as writer:
        for i in range(36):
            failed = i % 4 == 3
            writer.submit(result(
                "payments" if i % 3 else "crm", "list" if i % 3 else "contacts",
                at=at(10 * i, 1_000 * i), latency_ms=20 + (i * 37) % 400, steps=2,
                status=RunStatus.FAILED if failed else RunStatus.OK,
                category=Category.TIMEOUT if failed else None))
    assert roll_up_completed_hours(store, NOW) == 12
    async with ResultWriter(store) as writer:
        writer.submit(result(at=at(5), latency_ms=999, status=RunStatus.FAILED,
                             category=Category.DNS))


def _no_id(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "id"}


async def _fill_at_0003(url: str) -> Before:
    store = open_store(url, migrate=False)
    upgrade_to(store, BEFORE)
    with current_run_columns(store):
        await _write_runs(store)
    with store.engine.connect() as conn:
        run_ids = list(conn.execute(sa.text(
            "SELECT id FROM runs ORDER BY started_ms, id LIMIT 2")).scalars())
    events = [
        {"id": 1, "at": at(10, 100_000), "integration": "payments", "probe": "list",
         "from_state": "ok", "to_state": "pending", "condition": "pending",
         "reason": "1 failed run(s) in a row (server_error: http_500)",
         "run_started_at": at(10), "run_id": run_ids[0]},
        {"id": 2, "at": at(30, 123_456), "integration": "payments", "probe": "list",
         "from_state": "pending", "to_state": "firing", "condition": "firing",
         "reason": "3 failed run(s) in a row (server_error: http_500)",
         "run_started_at": at(30, 999), "run_id": run_ids[1]},
        {"id": 3, "at": at(60), "integration": "crm", "probe": "contacts", "from_state": "ok",
         "to_state": "silenced", "condition": "ok",
         "reason": "maintenance window 'nightly' started", "run_started_at": None,
         "run_id": None},
    ]
    with store.write() as conn:  # ids come from the tables' sequences (1, 2, 3), as they did
        conn.execute(old_states.insert(), [STATE])
        conn.execute(old_events.insert(), [_no_id(e) for e in events])
        conn.execute(old_outbox.insert(), [_no_id(SENT), _no_id(QUEUED)])
        conn.execute(old_notices.insert(), [_no_id(n) for n in NOTICES])
    before = Before(_dump(store), run_ids)
    store.close()
    return before


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


async def test_upgrade_keeps_every_row_and_instant(url: str) -> None:
    before = await _fill_at_0003(url)
    store = open_store(url)  # migrates to head, as `seamwatch serve` does on start
    try:
        with store.engine.connect() as conn:
            version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        assert version == head_revision(store)
        # runs, steps, rollups, late runs, catalog
        assert _dump(store, like=before.tables) == before.tables

        (state,) = AlertRepo(store).load_states().values()
        assert (state.integration, state.probe, str(state.condition)) == (
            "payments", "list", "firing")
        for name in ("since", "incident_start", "notified_at", "fire_notice_at"):
            assert getattr(state, name) == EPOCH + timedelta(milliseconds=ms(STATE[name])), name
        assert (state.fail_streak, state.flaps, state.notified) == (3, 1, "firing")
        assert state.last_failure == STATE["last_failure"] and state.recent == STATE["recent"]

        events = alert_history.events(store)
        assert [(e.at_ms, e.from_state, e.to_state, e.run_started_ms, e.run_id)
                for e in events] == [
            (ms(at(10, 100_000)), "ok", "pending", ms(at(10)), before.run_ids[0]),
            (ms(at(30, 123_456)), "pending", "firing", ms(at(30, 999)), before.run_ids[1]),
            (ms(at(60)), "ok", "silenced", None, None),
        ]

        emails = {e.id: e for e in alert_history.outbox(store)}
        assert [(e.status, e.created_ms, e.next_attempt_ms, e.sent_ms, e.attempts)
                for e in (emails[1], emails[2])] == [
            ("sent", ms(SENT["created_at"]), ms(SENT["next_attempt_at"]), ms(SENT["sent_at"]), 1),
            ("queued", ms(QUEUED["created_at"]), ms(QUEUED["next_attempt_at"]), None, 1),
        ]
        assert emails[2].last_error == "connection refused"
        with store.engine.connect() as conn:
            notices = conn.execute(sa.select(
                alert_notices_t.c.id, alert_notices_t.c.created_ms, alert_notices_t.c.outbox_id,
                alert_notices_t.c.payload).order_by(alert_notices_t.c.id)).all()
        assert [tuple(n) for n in notices] == [
            (n["id"], ms(n["created_at"]), n["outbox_id"], n["payload"]) for n in NOTICES]

        indexes = {ix["name"]: ix["column_names"]
                   for t in ("alert_events", "alert_outbox", "alert_notices")
                   for ix in sa.inspect(store.engine).get_indexes(t)
                   if (ix["name"] or "").startswith("ix_")}  # PostgreSQL lists unique keys too
        expected = {
            "ix_alert_events_probe_at": ["integration", "probe", "at_ms"],
            "ix_alert_events_at": ["at_ms"],
            "ix_alert_outbox_status_id": ["status", "id"],
            "ix_alert_notices_outbox": ["outbox_id"],
        }
        assert {name: indexes.get(name) for name in expected} == expected  # later ones may add
        if store.is_sqlite:
            with store.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    finally:
        store.close()


async def test_running_code_works_on_the_upgraded_database(url: str) -> None:
    await _fill_at_0003(url)
    store = open_store(url)
    server = start_smtp()
    clock = Clock(at(50))
    config = make_config(email_spec(server.port), ["payments/list", "crm/contacts"])
    svc = AlertService(store, config, redactor=Redactor([]), clock=clock)
    try:
        await svc.tick()  # groups the owed notice into an email, then delivers in order
        assert server.collector.subjects == [
            QUEUED["subject"], "[DEGRADED] crm/contacts — degraded: latency 2.5s over "
            "degraded_latency 2s"]
        resent = server.collector.messages[0][1]
        assert (resent["Message-ID"], resent["X-Seamwatch-Attempt"]) == (
            QUEUED["message_id"], "2")
        emails = {e.id: e for e in alert_history.outbox(store)}
        assert [(e.id, e.status, e.sent_ms) for e in emails.values()] == [
            (3, "sent", ms(at(50))), (2, "sent", ms(at(50))), (1, "sent", ms(SENT["sent_at"]))]
        assert emails[3].created_ms == ms(at(50))

        clock.advance(60)  # two good runs resolve the firing alert (recovery_threshold 2)
        assert svc.evaluate([result(at=clock(), status=RunStatus.OK)]) == 0
        assert svc.evaluate([result(at=clock(), status=RunStatus.OK)]) == 1  # RESOLVED owed
        state = AlertRepo(store).load_states()[("payments", "list")]
        assert (str(state.condition), state.since) == ("ok", clock())

        now_ms = ms(NOW)
        (crm, pay) = analytics.overview(store, now_ms - 24 * 3_600_000, now_ms, now=now_ms)
        assert (pay.name, pay.runs_in_range, crm.runs_in_range) == ("payments", 25, 12)
        assert (pay.uptime["24h"].runs, pay.uptime["24h"].good) == (25, 18)
        pid = probe_id(store, "payments", "list")
        assert pid is not None
        series = probe_series.probe_series(store, pid, ms(T0), now_ms, 3_600_000)
        assert sum(p.count for p in series.latency) == 25
        (now_state,) = alert_history.current_states(store)
        assert (now_state.state, now_state.since_ms) == ("ok", ms(clock()))
        (incident,) = alert_history.incidents(alert_history.events(store))
        assert (incident.start_ms, incident.end_ms) == (ms(at(10, 100_000)), ms(clock()))
    finally:
        await svc.stop()
        server.stop()
        store.close()


async def test_downgrade_restores_the_timestamps(url: str) -> None:
    before = await _fill_at_0003(url)
    store = open_store(url)
    try:
        downgrade_to(store, BEFORE)
        assert _dump(store, like=before.tables) == before.tables
        with store.engine.connect() as conn:
            row = conn.execute(sa.select(old_states)).one()._mapping
            outbox = conn.execute(sa.select(old_outbox).order_by(old_outbox.c.id)).all()
            events = conn.execute(sa.select(old_events.c.at).order_by(old_events.c.id)).all()

        def back(value: datetime | None) -> int | None:  # SQLite hands back naive UTC
            return None if value is None else ms(value.replace(tzinfo=value.tzinfo or UTC))

        for name in ("since", "incident_start", "notified_at", "fire_notice_at", "updated_at"):
            assert back(row[name]) == ms(STATE[name]), name
        assert [(back(r.created_at), back(r.sent_at)) for r in outbox] == [
            (ms(SENT["created_at"]), ms(SENT["sent_at"])), (ms(QUEUED["created_at"]), None)]
        assert [back(e.at) for e in events] == [
            ms(at(10, 100_000)), ms(at(30, 123_456)), ms(at(60))]
        upgrade_to(store, "head")
        assert [e.at_ms for e in alert_history.events(store)] == [
            ms(at(10, 100_000)), ms(at(30, 123_456)), ms(at(60))]
    finally:
        store.close()
