"""The Apprise channel through the alert service: the generic json:// and form:// targets and
two named services (ntfy, Mattermost) pointed at a loopback receiver get the notice with the
right text; a failing service is retried with a one-line reason; a token in an Apprise URL never
reaches the database or the log. Nothing resolves a name off loopback (`loopback_only`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from alerts.channels.apprise import url_secrets
from alerts.service import AlertService
from core.redact import Redactor
from storage.database import Store
from tests.alerts.channels.conftest import routed_config, start_receiver
from tests.alerts.conftest import Clock, result
from tests.alerts.helpers import outbox
from tests.support.receiver import Receiver
from tests.support.servers import UvicornThread

PROBES = {"payments/charges": {"failure_threshold": 1}}
TITLE = "[FIRING] payments/charges — timeout: connect_timeout"
CANARY = "Canary-Apprise-Token-5521"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, UvicornThread]]:
    rec = Receiver()
    server = start_receiver(rec)
    yield rec, server
    server.stop()


async def _fire(store: Store, config: object, redactor: Redactor) -> AlertService:
    clock = Clock()
    svc = AlertService(store, config, redactor=redactor, clock=clock)  # type: ignore[arg-type]
    await svc.on_results([result("payments/charges", "failed", clock())])
    await svc.tick()
    await svc.stop()
    return svc


async def test_generic_and_named_targets_get_the_notice(
    store: Store, redactor: Redactor, receiver: tuple[Receiver, UvicornThread]
) -> None:
    rec, server = receiver
    port = server.port
    channels = {
        "generic": {"type": "apprise", "urls": [f"json://127.0.0.1:{port}/json",
                                                f"form://127.0.0.1:{port}/form"]},
        "ntfy": {"type": "apprise", "urls": [f"ntfy://127.0.0.1:{port}/payments-alerts"],
                 "format": "text"},
        "chat": {"type": "apprise", "urls": [f"mmost://127.0.0.1:{port}/hooktoken123"]},
    }
    await _fire(store, routed_config(channels, PROBES), redactor)
    by_path = {r.path: r for r in rec.requests}
    assert set(by_path) == {"/json", "/form", "/", "/hooks/hooktoken123"}
    assert all(r.status == 200 for r in rec.requests)

    posted = json.loads(by_path["/json"].body)
    assert posted["title"] == TITLE
    assert posted["message"].startswith("**An alert is FIRING**")
    assert "### [payments/charges — timeout: connect_timeout](http://localhost:8501" in (
        posted["message"])
    assert "- **Message:** connect timed out after 10s" in posted["message"]

    form = parse_qs(by_path["/form"].text)
    assert form["title"] == [TITLE] and form["message"] == [posted["message"]]

    ntfy = json.loads(by_path["/"].body)
    assert ntfy["topic"] == "payments-alerts" and ntfy["title"] == TITLE
    assert ntfy["message"].startswith("An alert is FIRING.")
    assert "What failed:  timeout: connect_timeout" in ntfy["message"]
    assert "**" not in ntfy["message"]  # format: text

    chat = json.loads(by_path["/hooks/hooktoken123"].body)
    assert chat["text"].startswith(TITLE)
    assert {r.channel: r.status for r in outbox(store)} == {
        "generic": "sent", "ntfy": "sent", "chat": "sent"}


async def test_a_failing_service_is_retried_and_its_url_token_never_leaks(
    store: Store, receiver: tuple[Receiver, UvicornThread], caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    rec, server = receiver
    rec.script.extend([(500, {}), (500, {})])
    url = f"json://127.0.0.1:{server.port}/hook/{CANARY}?token={CANARY}-q"
    channels = {"chat": {"type": "apprise", "urls": [url]}}
    config = routed_config(channels, PROBES)
    redactor = Redactor(url_secrets(url))  # what the config loader adds for an Apprise URL
    caplog.set_level(logging.INFO, "seamwatch")  # as `serve` logs: third-party at WARNING
    clock = Clock()
    svc = AlertService(store, config, redactor=redactor, clock=clock)
    await svc.on_results([result("payments/charges", "failed", clock())])
    await svc.tick()
    [row] = outbox(store)
    assert row.status == "queued"
    assert row.last_error.startswith("apprise (json://): ")
    assert "500" in row.last_error or "Internal Server Error" in row.last_error
    clock.advance(600)
    await svc.tick()
    clock.advance(600)
    await svc.tick()
    await svc.stop()
    assert [r.status for r in rec.requests] == [500, 500, 200]
    assert rec.requests[0].path == f"/hook/{CANARY}"  # the token did reach its service
    assert [r.status for r in outbox(store)] == ["sent"]
    dump = tmp_path / "dump.sql"
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        dump.write_text("\n".join(raw.iterdump()))  # type: ignore[attr-defined]
    assert CANARY not in dump.read_text()
    assert CANARY not in caplog.text
    assert "channel chat failing" in caplog.text
