"""Outbox delivery: SMTP down then up, restart, crash after SMTP success, give-up, refusals,
canary secrets, the background loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from alerts.service import AlertService
from core.redact import Redactor
from storage.database import Store, open_store
from tests.alerts.conftest import (
    PASSWORD,
    Clock,
    SmtpServer,
    email_spec,
    make_config,
    result,
    start_smtp,
)
from tests.alerts.helpers import outbox
from tests.support.servers import free_port

PROBES = {f"payments/p{i}": {"failure_threshold": 1} for i in range(3)}


async def _queue_three(svc: AlertService, clock: Clock) -> None:
    for i in range(3):
        await svc.on_results([result(f"payments/p{i}", "failed", clock())])
        await svc.tick()
        clock.advance(60)


async def test_smtp_down_then_up_delivers_each_once_in_order(
    store: Store, redactor: Redactor
) -> None:
    clock = Clock()
    port = free_port()
    svc = AlertService(store, make_config(email_spec(port), PROBES), redactor=redactor,
                       clock=clock)
    await _queue_three(svc, clock)
    rows = outbox(store)
    assert [r.status for r in rows] == ["queued"] * 3
    assert rows[0].attempts >= 1 and "connection refused" in rows[0].last_error
    server = start_smtp(port=port)
    try:
        clock.advance(3600)
        await svc.tick()
        await svc.tick()
        assert server.collector.subjects == [
            f"[FIRING] payments/p{i} — timeout: connect_timeout" for i in range(3)]
        assert [r.status for r in outbox(store)] == ["sent"] * 3
    finally:
        server.stop()
    await svc.stop()


async def test_restart_continues_without_duplicate_firing(tmp_path: Path,
                                                          redactor: Redactor) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    clock = Clock()
    port = free_port()
    cfg = make_config(email_spec(port), PROBES)
    first = open_store(url)
    svc = AlertService(first, cfg, redactor=redactor, clock=clock)
    await _queue_three(svc, clock)
    await svc.stop()
    first.close()

    second = open_store(url)
    server = start_smtp(port=port)
    try:
        svc2 = AlertService(second, cfg, redactor=redactor, clock=clock)
        await svc2.start()
        await svc2.tick()  # runs after (or instead of) the loop's first tick, never alongside
        await svc2.stop()
        assert len(server.collector.messages) == 3
        svc3 = AlertService(second, cfg, redactor=redactor, clock=clock)
        await svc3.on_results([result(f"payments/p{i}", "failed", clock()) for i in range(3)])
        await svc3.tick()
        assert len(server.collector.messages) == 3
        assert svc3.states()[("payments", "p0")].state == "firing"
        await svc3.stop()
    finally:
        server.stop()
        second.close()


async def test_crash_between_smtp_success_and_marking_sent(
    store: Store, smtp_server: SmtpServer, redactor: Redactor
) -> None:
    clock = Clock()
    cfg = make_config(email_spec(smtp_server.port), {"payments/p0": {"failure_threshold": 1}})
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)

    def crash(*_: Any) -> None:
        raise RuntimeError("killed")

    svc._core.repo.mark_sent = crash
    await svc.on_results([result("payments/p0", "failed", clock())])
    with pytest.raises(RuntimeError):
        await svc.tick()
    assert [r.status for r in outbox(store)] == ["sending"]
    await svc.stop()

    again = AlertService(store, cfg, redactor=redactor, clock=clock, owner="another")
    await again.tick()
    assert len(smtp_server.collector.messages) == 1  # the first sender's lease still holds
    clock.advance(again.lease_s)
    await again.tick()
    first, second = (m for _, m in smtp_server.collector.messages)
    assert first["Message-ID"] == second["Message-ID"]
    assert (first["X-Seamwatch-Attempt"], second["X-Seamwatch-Attempt"]) == ("1", "2")
    assert [r.status for r in outbox(store)] == ["sent"]
    await again.stop()


async def test_gives_up_after_max_age(store: Store, redactor: Redactor,
                                      caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    cfg = make_config(email_spec(free_port(), max_age="1h"), {"payments/p0": {}})
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    for _ in range(3):
        await svc.on_results([result("payments/p0", "failed", clock())])
    await svc.tick()
    clock.advance(3601)
    await svc.tick()
    [row] = outbox(store)
    assert row.status == "failed" and "older than email.max_age" in row.last_error
    assert "failed: gave up" in caplog.text
    await svc.stop()


class Refusing:
    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


async def test_permanent_refusal_fails_one_row_and_the_rest_go(store: Store,
                                                               redactor: Redactor) -> None:
    server = start_smtp()
    server.collector.handle_RCPT = Refusing().handle_RCPT  # type: ignore[attr-defined]
    try:
        clock = Clock()
        probes = {"crm/contacts": {"failure_threshold": 1, "to": ["nobody@example.test"]},
                  "payments/p0": {"failure_threshold": 1, "to": ["ok@example.test"]}}
        cfg = make_config(email_spec(server.port, to=[]), probes)
        svc = AlertService(store, cfg, redactor=redactor, clock=clock)
        await svc.on_results([result("crm/contacts", "failed", clock())])
        await svc.on_results([result("payments/p0", "failed", clock())])
        await svc.tick()
        rows = outbox(store)
        assert [r.status for r in rows] == ["failed", "sent"]
        assert rows[0].last_error.endswith("(nobody@example.test: 550 no such user)")
        assert [rcpts for rcpts, _ in server.collector.messages] == [["ok@example.test"]]
        await svc.stop()
    finally:
        server.stop()


async def test_canary_secrets_never_reach_an_email(store: Store,
                                                   smtp_server: SmtpServer) -> None:
    canary = "canary-token-5d1e9b0c"
    redactor = Redactor([PASSWORD, canary])
    clock = Clock()
    cfg = make_config(email_spec(smtp_server.port, smtp={"password": PASSWORD}),
                      {"payments/p0": {"failure_threshold": 1, "recovery_threshold": 1}})
    cfg.email.smtp.username = None  # type: ignore[union-attr]  # server has no AUTH
    svc = AlertService(store, cfg, redactor=redactor, clock=clock)
    message = f"401 from server, echoed Authorization: Bearer {canary} and {PASSWORD}"
    await svc.on_results([result("payments/p0", "failed", clock(), category="auth",
                                 reason="http_401", message=message)])
    await svc.tick()
    clock.advance(4 * 3600)
    await svc.tick()
    await svc.on_results([result("payments/p0", "ok", clock())])
    await svc.tick()
    assert len(smtp_server.collector.messages) == 3
    for _, msg in smtp_server.collector.messages:
        raw = msg.as_string()
        assert canary not in raw and PASSWORD not in raw
    assert "Bearer ***" in smtp_server.collector.messages[0][1].get_body(("plain",)).get_content()
    with store.engine.connect() as conn:
        for table in ("alert_states", "alert_events", "alert_notices", "alert_outbox"):
            dump = repr(conn.execute(sa.text(f"SELECT * FROM {table}")).all())
            assert canary not in dump and PASSWORD not in dump
    await svc.stop()


async def test_background_loop_delivers_and_stops_gracefully(
    store: Store, redactor: Redactor
) -> None:
    arrived = threading.Event()
    server = start_smtp()
    original = server.collector.handle_DATA

    async def handle(*args: Any) -> str:
        answer = await original(*args)
        arrived.set()
        return answer

    server.collector.handle_DATA = handle  # type: ignore[method-assign]
    try:
        cfg = make_config(email_spec(server.port), {"payments/p0": {"failure_threshold": 1}})
        svc = AlertService(store, cfg, redactor=redactor, tick_interval=60)
        await svc.start()
        svc.on_results([result("payments/p0", "failed", Clock()())])
        assert await asyncio.to_thread(arrived.wait, 30)
        await svc.stop()
        assert [r.status for r in outbox(store)] == ["sent"]
    finally:
        server.stop()
