"""The webhook channel through the alert service against a real loopback receiver that checks
the Standard Webhooks signature: retries honour Retry-After and keep order, each notice is
accepted exactly once, 410 disables the channel, other channels go on."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client import generate_latest

from alerts.channels.webhook import retry_after
from alerts.service import AlertService
from core.redact import Redactor
from seamwatch.metrics import ServeMetrics
from storage.database import Store
from tests.alerts.channels.conftest import routed_config, start_receiver
from tests.alerts.conftest import T0, Clock, result
from tests.alerts.helpers import outbox
from tests.support.receiver import SECRET, Receiver
from tests.support.servers import free_port

PROBES = {f"payments/p{i}": {"failure_threshold": 1} for i in range(2)}
BUSY = (503, {"Retry-After": "7"})


def _hook(url: str, secret: str = SECRET) -> dict[str, object]:
    return {"type": "webhook", "url": f"{url}/hooks/seamwatch", "secret": secret}


async def test_retries_after_503_then_delivers_each_notice_once_in_order(
    store: Store, redactor: Redactor
) -> None:
    receiver = Receiver([BUSY, BUSY], secret=SECRET)
    server = start_receiver(receiver)
    clock = Clock()
    svc = AlertService(store, routed_config({"hooks": _hook(server.url)}, PROBES),
                       redactor=redactor, clock=clock)
    try:
        for i in range(2):
            await svc.on_results([result(f"payments/p{i}", "failed", clock())])
        await svc.tick()  # first attempt: 503
        assert [r.status for r in outbox(store)] == ["queued", "queued"]
        clock.advance(6)
        await svc.tick()  # Retry-After 7s not over yet: nothing sent
        assert len(receiver.requests) == 1
        clock.advance(1)
        await svc.tick()  # second attempt: 503
        clock.advance(7)
        await svc.tick()  # third: accepted, then the second notice
        clock.advance(60)
        await svc.tick()
    finally:
        await svc.stop()
        server.stop()
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert [r.status for r in receiver.requests] == [503, 503, 200, 200]
    assert ids[0] == ids[1] == ids[2] != ids[3]  # the same id on every retry
    accepted = [json.loads(r.body) for r in receiver.accepted]
    assert [b["probe"] for b in accepted] == ["p0", "p1"]
    assert [r.status for r in outbox(store)] == ["sent", "sent"]
    body = accepted[0]
    assert body == {
        "version": 1, "id": ids[0], "kind": "firing", "state": "firing",
        "integration": "payments", "probe": "p0", "category": "timeout",
        "reason": "connect_timeout", "message": "connect timed out after 10s",
        "summary": "[FIRING] payments/p0 — timeout: connect_timeout",
        "at": "2026-03-02T09:00:00Z", "started_at": "2026-03-02T09:00:00Z",
        "resolved_at": None,
        "dashboard_url": "http://localhost:8501?integration=payments&probe=p0",
    }
    assert receiver.requests[0].headers["content-type"] == "application/json"


async def test_wrong_secret_is_refused_by_the_receiver_and_retried(
    store: Store, redactor: Redactor
) -> None:
    receiver = Receiver(secret=SECRET)
    server = start_receiver(receiver)
    other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"
    clock = Clock()
    svc = AlertService(store, routed_config({"hooks": _hook(server.url, other)}, PROBES),
                       redactor=redactor, clock=clock)
    try:
        await svc.on_results([result("payments/p0", "failed", clock())])
        await svc.tick()
    finally:
        await svc.stop()
        server.stop()
    assert [r.status for r in receiver.requests] == [401]
    [row] = outbox(store)
    assert row.status == "failed" and "answered 401" in row.last_error


async def test_410_disables_the_channel_and_other_channels_go_on(
    store: Store, redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    gone = Receiver([(410, {})], secret=SECRET)
    fine = Receiver(secret=SECRET)
    gone_server, fine_server = start_receiver(gone), start_receiver(fine)
    clock = Clock()
    config = routed_config({"old": _hook(gone_server.url), "new": _hook(fine_server.url)}, PROBES)
    svc = AlertService(store, config, redactor=redactor, clock=clock)
    caplog.set_level(logging.INFO, "seamwatch.alerts")
    try:
        await svc.on_results([result("payments/p0", "failed", clock())])
        await svc.tick()
        clock.advance(60)
        await svc.on_results([result("payments/p1", "failed", clock())])
        await svc.tick()
        await svc.tick()
        health = {h.name: h for h in svc.channel_health()}
    finally:
        await svc.stop()
        gone_server.stop()
        fine_server.stop()
    assert len(gone.requests) == 1  # disabled after its 410: not tried again
    assert [json.loads(r.body)["probe"] for r in fine.accepted] == ["p0", "p1"]
    rows = {(r.channel, json.loads(r.text_body)["probe"]): r for r in outbox(store)}
    assert rows[("old", "p0")].status == "failed" and "410" in rows[("old", "p0")].last_error
    assert rows[("old", "p1")].status == "failed"
    assert {rows[("new", p)].status for p in ("p0", "p1")} == {"sent"}
    assert health["old"].status == "disabled" and health["new"].status == "ok"
    disabled = [r for r in caplog.records if "disabled" in r.getMessage()]
    assert len(disabled) == 1 and disabled[0].levelno == logging.ERROR


async def test_a_failing_channel_is_logged_once_per_change(
    store: Store, redactor: Redactor, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver([BUSY, BUSY, BUSY], secret=SECRET)
    server = start_receiver(receiver)
    clock = Clock()
    svc = AlertService(store, routed_config({"hooks": _hook(server.url)}, PROBES),
                       redactor=redactor, clock=clock)
    caplog.set_level(logging.INFO, "seamwatch.alerts")
    try:
        await svc.on_results([result("payments/p0", "failed", clock())])
        for _ in range(4):
            await svc.tick()
            clock.advance(7)
    finally:
        await svc.stop()
        server.stop()
    messages = [r.getMessage() for r in caplog.records if "channel hooks" in r.getMessage()]
    assert len(receiver.requests) == 4
    assert len(messages) == 2, messages
    assert "failing" in messages[0] and "503" in messages[0]
    assert "delivers again" in messages[1]


@pytest.mark.parametrize(("header", "expected"), [
    ("7", 7.0),
    ("0", 0.0),
    ("999999", 3600.0),  # capped
    ("Mon, 02 Mar 2026 09:00:30 GMT", 30.0),
    ("soon", None),
    (None, None),
])
def test_retry_after(header: str | None, expected: float | None) -> None:
    assert retry_after(header, T0) == expected


async def test_channel_failure_shows_on_metrics(store: Store, redactor: Redactor) -> None:
    metrics = ServeMetrics()
    fine = Receiver(secret=SECRET)
    server = start_receiver(fine)
    channels = {"down": _hook(f"http://127.0.0.1:{free_port()}"), "up": _hook(server.url)}
    clock = Clock()
    svc = AlertService(store, routed_config(channels, PROBES), redactor=redactor, clock=clock,
                       observer=metrics)
    try:
        await svc.on_results([result("payments/p0", "failed", clock())])
        await svc.tick()
    finally:
        await svc.stop()
        server.stop()
    text = generate_latest(metrics.registry).decode()
    assert 'seamwatch_channel_up{channel="down"} 0.0' in text
    assert 'seamwatch_channel_up{channel="up"} 1.0' in text
    assert 'seamwatch_notifications_sent_total{channel="up"} 1.0' in text
    assert 'seamwatch_notifications_sent_total{channel="down"} 0.0' in text
    assert 'seamwatch_channel_disabled{channel="down"} 0.0' in text
