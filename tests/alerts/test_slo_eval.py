"""Burn-rate evaluation end to end on a real database (SQLite and PostgreSQL): runs written by
the real writer, counted from the raw tail and from rollups, the pure machine, the stored
state and events, and the email through the outbox (docs/alerts.md, "Burn rate")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.evaluator import AlertEvaluator
from alerts.settings import Settings
from alerts.slo_eval import BurnEvaluator
from alerts.spec import MaintenanceSpec
from core.redact import Redactor
from core.slo import SloSpec
from storage.database import Store, open_store
from storage.rollups.write import roll_up_completed_hours
from storage.schema import alert_outbox_t, slo_events_t, slo_states_t
from tests.alerts.conftest import Cfg, email_spec
from tests.alerts.slo_helpers import NOW, Entry, Integ, Prb, runs, settings
from tests.storage.seed import write_runs


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = (f"sqlite:///{tmp_path / 'seamwatch.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    s = open_store(url)
    yield s
    s.close()


def evaluate(store: Store, s: Settings, now: datetime = NOW) -> tuple[str, str, list[str]]:
    """Severity, the last event's reason and the owed notice kinds after one cycle."""
    BurnEvaluator(store).evaluate(s, now)
    with store.engine.connect() as conn:
        severity = conn.execute(sa.select(slo_states_t.c.severity)).scalar_one()
        reasons = conn.execute(sa.select(slo_events_t.c.reason).order_by(
            slo_events_t.c.id)).scalars().all()
        kinds = conn.execute(sa.text("SELECT kind FROM alert_notices ORDER BY id")).scalars()
        return severity, (reasons[-1] if reasons else ""), list(kinds)


def test_a_probe_failing_at_20_percent_pages_on_the_1h_5m_pair(store: Store) -> None:
    write_runs(store, "payments", "charges", runs(1, 120, failing_every=5))
    severity, reason, kinds = evaluate(store, settings("99.9%"))
    assert severity == "page"
    assert "over 1h and" in reason and "over 5m" in reason
    assert kinds == ["burn_rate"]
    queued = AlertEvaluator(store, Redactor()).tick(settings("99.9%"), NOW)
    assert queued == 1
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(alert_outbox_t)).mappings().one()
    assert row["kind"] == "burn_rate"
    assert row["subject"] == "[BURN RATE] SLO payments"
    assert "http://localhost:8501/slo?integration=payments" in row["text_body"]
    assert "1h 200.0×" in row["text_body"]
    assert 'href="http://localhost:8501/slo?integration=payments"' in row["html_body"]


def test_the_same_counts_from_rollups(store: Store) -> None:
    write_runs(store, "payments", "charges", runs(1, 180, failing_every=5))
    roll_up_completed_hours(store, NOW)
    severity, _reason, kinds = evaluate(store, settings("99.9%", on_probe=True))
    assert (severity, kinds) == ("page", ["burn_rate"])
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(slo_states_t.c.target)).scalar_one() == "payments/charges"


def test_a_single_failure_of_a_5_minute_probe_does_not_page(store: Store) -> None:
    history = runs(5, 3 * 24 * 60)
    history[-1].status = "failed"
    write_runs(store, "payments", "charges", history)
    assert evaluate(store, settings("99.9%")) == ("ok", "", [])


def test_a_ticket_at_1x_over_3d_and_6h(store: Store) -> None:
    # 5-minute probe, one failure every 6 h over 3 days: 1.4× the 1 % budget over 3 d and 6 h
    history = runs(5, 3 * 24 * 60, failed={i for i in range(864) if i % 72 == 40})
    write_runs(store, "payments", "charges", history)
    roll_up_completed_hours(store, NOW)
    severity, reason, kinds = evaluate(store, settings("99%"))
    assert severity == "ticket"
    assert "over 3d and" in reason and "over 6h" in reason
    assert kinds == ["burn_rate_ticket"]


def test_runs_in_a_maintenance_window_are_left_out(store: Store) -> None:
    # failing at 20 % only during the last hour, which a maintenance window covers
    history = runs(1, 24 * 60)
    for r in history[-60::5]:
        r.status = "failed"
    write_runs(store, "payments", "charges", history)
    opened = NOW - timedelta(minutes=61)
    window = MaintenanceSpec(name="deploy", cron=f"{opened.minute} {opened.hour} * * *",
                             duration="3h", integrations=["payments"])
    assert evaluate(store, settings("99.9%", [window]))[0] == "ok"
    other = MaintenanceSpec(name="other", cron=f"{opened.minute} {opened.hour} * * *",
                            duration="3h", integrations=["billing"])
    assert evaluate(store, settings("99.9%", [other]))[0] == "page"


def test_the_tick_pages_once_grouped_over_smtp(store: Store) -> None:
    import asyncio

    from alerts.service import AlertService
    from tests.support.smtp import start_smtp

    spec = SloSpec.model_validate({"objective": "99.9%"})
    for integration in ("crm", "payments"):
        write_runs(store, integration, "charges", runs(1, 120, failing_every=5))
    server = start_smtp()
    try:
        cfg = Cfg(email_spec(server.port), [  # type: ignore[list-item]
            Entry(Integ("crm", slo=spec), Prb("charges")),
            Entry(Integ("payments", slo=spec), Prb("charges"))])
        clock = [NOW]

        async def ticks() -> None:
            svc = AlertService(store, cfg, redactor=Redactor(),  # type: ignore[arg-type]
                               clock=lambda: clock[0])
            await svc.tick()
            clock[0] = NOW + timedelta(seconds=30)  # within a minute: not evaluated again
            await svc.tick()
            await svc.stop()

        asyncio.run(ticks())
        assert server.collector.subjects == ["[BURN RATE] SLO crm, +1 more"]
        (rcpts, msg), = server.collector.messages
        assert rcpts == ["oncall@example.test"] and msg["X-Seamwatch-Kind"] == "burn_rate"
        body = msg.get_body(("plain",)).get_content()
        assert "2 SLOs are burning the error budget fast enough to PAGE." in body
        assert "http://localhost:8501/slo?integration=payments" in body
    finally:
        server.stop()
