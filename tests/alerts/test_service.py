"""AlertService end to end on a migrated SQLite store with a real SMTP server on loopback:
FIRING/RESOLVED emails, grouping, reminders, flapping, maintenance — all on a controlled clock."""

from __future__ import annotations

from alerts.service import AlertService
from alerts.spec import MaintenanceSpec
from core.redact import Redactor
from storage.database import Store
from tests.alerts.conftest import T0, Clock, SmtpServer, email_spec, make_config, result
from tests.alerts.helpers import events, outbox

KEY = "payments/list-charges"


async def test_firing_then_resolved(store: Store, smtp_server: SmtpServer,
                                    redactor: Redactor) -> None:
    clock = Clock()
    cfg = make_config(
        email_spec(smtp_server.port, dashboard_url="http://dash.test:8501"),
        {KEY: {"to": ["billing@example.test"], "failure_threshold": 2},
         "payments/auth": {}, "payments/refunds": {}},
    )
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    await svc.on_results([result("payments/auth", "ok", clock())])
    await svc.on_results([result(KEY, "failed", clock(), category="server_error",
                                 reason="http_503", message="503 Service Unavailable",
                                 http_status=503)])
    await svc.tick()
    assert smtp_server.collector.messages == []
    clock.advance(30)
    await svc.on_results([result(KEY, "failed", clock(), category="server_error",
                                 reason="http_503", message="503 Service Unavailable",
                                 http_status=503, latency_ms=812)])
    await svc.tick()
    await svc.tick()
    [(rcpts, msg)] = smtp_server.collector.messages
    assert rcpts == ["billing@example.test", "oncall@example.test"]
    assert msg["Subject"] == "[FIRING] payments/list-charges — server_error: http_503"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "http://dash.test:8501?integration=payments&amp;probe=list-charges" in body or (
            "http://dash.test:8501?integration=payments&probe=list-charges" in body)
        assert "503 Service Unavailable" in body
        assert "2026-03-02 09:00:00 UTC" in body  # since
        assert "812 ms" in body
    assert 'step "list", HTTP 503' in text
    assert "Other probes: auth ok" in text  # refunds has no state yet
    assert svc.states()[("payments", "list-charges")].state == "firing"

    clock.advance(600)
    for _ in range(2):
        clock.advance(30)
        await svc.on_results([result(KEY, "ok", clock())])
    await svc.tick()
    assert len(smtp_server.collector.messages) == 2
    resolved = smtp_server.collector.messages[1][1]
    assert resolved["Subject"] == "[RESOLVED] payments/list-charges — resolved after 11m30s"
    assert "Lasted:       11m30s" in resolved.get_body(("plain",)).get_content()
    assert [(f, t) for f, t, _ in events(store, "list-charges")] == [
        ("ok", "pending"), ("pending", "firing"), ("firing", "ok")]
    rows = outbox(store)
    assert [r.status for r in rows] == ["sent", "sent"] and all(r.sent_ms for r in rows)
    assert len({r.message_id for r in rows}) == 2
    await svc.stop()


async def test_grouping_per_recipient_set(store: Store, smtp_server: SmtpServer,
                                          redactor: Redactor) -> None:
    clock = Clock()
    probes = {f"payments/p{i}": {"failure_threshold": 1} for i in range(5)}
    probes["crm/contacts"] = {"failure_threshold": 1, "to": ["crm@example.test"]}
    cfg = make_config(email_spec(smtp_server.port, group_wait="30s"), probes)
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    for i in range(3):
        await svc.on_results([result(f"payments/p{i}", "failed", clock())])
        await svc.tick()
        clock.advance(10)
    await svc.on_results([result("crm/contacts", "failed", clock())])
    clock.advance(9)  # T0+39s: the first group has waited long enough
    await svc.tick()
    assert smtp_server.collector.subjects == [
        "[FIRING] 3 alerts: payments/p0 — timeout: connect_timeout, +2 more"]
    clock.advance(15)
    await svc.on_results([result("payments/p3", "failed", clock()),
                          result("payments/p4", "failed", clock())])
    clock.advance(29)
    await svc.tick()
    assert smtp_server.collector.subjects[1:] == [
        "[FIRING] crm/contacts — timeout: connect_timeout"]
    assert smtp_server.collector.messages[1][0] == ["crm@example.test", "oncall@example.test"]
    clock.advance(1)
    await svc.tick()
    assert smtp_server.collector.subjects[2:] == [
        "[FIRING] 2 alerts: payments/p3 — timeout: connect_timeout, +1 more"]
    body = smtp_server.collector.messages[0][1].get_body(("plain",)).get_content()
    assert body.startswith("3 alerts are FIRING.")
    assert body.count("== [FIRING]") == 3
    await svc.stop()


async def test_reminders(store: Store, smtp_server: SmtpServer, redactor: Redactor) -> None:
    clock = Clock()
    cfg = make_config(email_spec(smtp_server.port, repeat_interval="4h"),
                      {KEY: {"failure_threshold": 1}})
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    await svc.on_results([result(KEY, "failed", clock())])
    await svc.tick()
    clock.advance(4 * 3600 - 1)
    await svc.tick()
    assert len(smtp_server.collector.messages) == 1
    clock.advance(1)
    await svc.tick()
    await svc.tick()
    assert smtp_server.collector.subjects[1] == (
        "[FIRING] payments/list-charges — timeout: connect_timeout (still firing after 4h)")
    clock.advance(4 * 3600)
    await svc.tick()
    assert len(smtp_server.collector.messages) == 3
    await svc.stop()


async def test_flapping_one_pair_per_repeat_interval(store: Store, smtp_server: SmtpServer,
                                                     redactor: Redactor) -> None:
    clock = Clock()
    cfg = make_config(email_spec(smtp_server.port, repeat_interval="1h"),
                      {KEY: {"failure_threshold": 1, "recovery_threshold": 1}})
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    for minute in range(50):
        await svc.on_results([result(KEY, "failed" if minute % 2 == 0 else "ok", clock())])
        await svc.tick()
        clock.advance(60)
    assert [s.split(" ")[0] for s in smtp_server.collector.subjects] == ["[FIRING]", "[RESOLVED]"]
    await svc.on_results([result(KEY, "failed", clock())])  # T0+50m: failing, held
    await svc.tick()
    assert len(smtp_server.collector.messages) == 2
    clock.now = T0.replace(hour=10)  # one hour after the first FIRING email
    await svc.tick()
    assert smtp_server.collector.subjects[2].startswith("[FIRING] payments/list-charges")
    text = smtp_server.collector.messages[2][1].get_body(("plain",)).get_content()
    assert "started failing 25 times since its last FIRING email" in text
    await svc.stop()


async def test_maintenance_silences_and_notifies_at_close(
    store: Store, smtp_server: SmtpServer, redactor: Redactor
) -> None:
    clock = Clock(T0.replace(hour=1, minute=50))
    window = MaintenanceSpec.model_validate(
        {"name": "nightly-deploy", "cron": "0 2 * * *", "duration": "30m",
         "integrations": ["payments"]})
    cfg = make_config(email_spec(smtp_server.port),
                      {KEY: {"failure_threshold": 1, "recovery_threshold": 1},
                       "payments/refunds": {"failure_threshold": 1, "recovery_threshold": 1},
                       "crm/contacts": {"failure_threshold": 1}},
                      maintenance=[window])
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    await svc.on_results([result("payments/refunds", "failed", clock())])  # firing before
    await svc.on_results([result(KEY, "ok", clock())])
    await svc.tick()
    assert len(smtp_server.collector.messages) == 1
    clock.now = T0.replace(hour=2, minute=5)
    await svc.tick()
    assert {k: str(s.state) for k, s in svc.states().items()} == {
        ("payments", "refunds"): "silenced", ("payments", "list-charges"): "silenced"}
    await svc.on_results([result(KEY, "failed", clock()), result("payments/refunds", "ok", clock()),
                          result("crm/contacts", "failed", clock())])
    await svc.tick()
    assert smtp_server.collector.subjects[1:] == [
        "[FIRING] crm/contacts — timeout: connect_timeout"]
    assert [(f, t) for f, t, _ in events(store, "list-charges")] == [
        ("ok", "silenced"), ("silenced", "silenced")]
    assert events(store, "list-charges")[1][2].startswith(
        "ok → firing during maintenance 'nightly-deploy'")
    clock.now = T0.replace(hour=2, minute=30)
    await svc.tick()
    await svc.tick()
    assert sorted(smtp_server.collector.subjects[2:]) == [
        "[FIRING] payments/list-charges — timeout: connect_timeout",
        "[RESOLVED] payments/refunds — resolved after 15m",
    ]
    assert events(store, "list-charges")[-1][:2] == ("silenced", "firing")
    held = next(m for _, m in smtp_server.collector.messages if "list-charges" in m["Subject"])
    assert 'held during maintenance window "nightly-deploy"' in held.get_body(
        ("plain",)).get_content()
    await svc.stop()
