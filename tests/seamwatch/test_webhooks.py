"""The listener's /webhook/ endpoints over real HTTP (seamwatch/webhooks.py): passive webhook
health for a `heartbeat` probe with `signature:` (deliveries, duplicates by delivery id,
signature failures and their ratio, lag), the answers a provider gets, and last-seen times
surviving a real `serve` restart."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import CollectorRegistry

from core.redact import Redactor
from probes.heartbeats import HeartbeatRegistry
from probes.kinds.heartbeat import HeartbeatProbe
from probes.result import Category, RunStatus
from probes.run import RunPolicy, run_probe
from probes.runtime import IntegrationRuntime
from probes.spec import IntegrationSpec
from seamwatch.listener import build_app
from seamwatch.webhooks import WebhookReceiver, webhook_endpoints
from tests.support import webhooks as send
from tests.support.cli import ServeProcess, wait_until
from tests.support.listener import running_listener

GH = send.GITHUB_VECTOR
STD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def heartbeat(name: str, signature: dict[str, Any], **options: Any) -> HeartbeatProbe:
    return HeartbeatProbe.model_validate({"name": name, "type": "heartbeat", "period": "1h",
                                          "signature": signature, **options})


@dataclass
class Endpoints:
    client: httpx.AsyncClient
    base: str
    heartbeats: HeartbeatRegistry
    receiver: WebhookReceiver
    probes: dict[str, HeartbeatProbe]


@pytest.fixture
async def endpoints() -> AsyncIterator[Endpoints]:
    probes = {
        "it/github": heartbeat("github", {"scheme": "github", "secret": GH["secret"]},
                               max_signature_failure_ratio=0.25),
        "it/standard": heartbeat("standard", {"scheme": "standard", "secret": STD_SECRET}),
    }
    heartbeats = HeartbeatRegistry()
    heartbeats.configure(probes.items())
    receiver = WebhookReceiver(heartbeats)
    receiver.configure(webhook_endpoints(probes.items()))
    app = build_app(CollectorRegistry(), lambda: {"ok": True}, heartbeats, receiver)
    async with running_listener(app) as listener, httpx.AsyncClient() as client:
        yield Endpoints(client, f"http://{listener.address}/webhook/it", heartbeats, receiver,
                        probes)


async def check(e: Endpoints, name: str) -> Any:
    """One scheduled run of the heartbeat probe `it/<name>`."""
    probe = e.probes[f"it/{name}"]
    spec = IntegrationSpec.model_validate({"name": "it", "probes": [
        {"name": "placeholder", "type": "tcp", "host": "127.0.0.1", "port": 1}]})
    rt = IntegrationRuntime(spec=spec, client=e.client, credentials=None, redactor=Redactor(),
                            base_dir=Path("."), heartbeats=e.heartbeats)
    return await run_probe(rt, probe, RunPolicy(timeout_s=5, retries=0))


async def test_passive_health_counts_deliveries_duplicates_and_signature_failures(
        endpoints: Endpoints) -> None:
    e = endpoints
    url = f"{e.base}/github"
    vector = {"X-Hub-Signature-256": GH["signature"], "X-GitHub-Delivery": "d-1"}
    answers = [(await e.client.post(url, content=GH["body"], headers=vector)).status_code
               for _ in range(2)]  # the provider retries the same delivery
    other = send.github(GH["secret"], b'{"zen": "ok"}', "d-2")
    answers.append((await e.client.post(url, content=b'{"zen": "ok"}',
                                        headers=other)).status_code)
    forged = await e.client.post(url, content=b'{"zen": "forged"}', headers=other)
    assert answers == [200, 200, 200] and forged.status_code == 401
    assert forged.json() == {"ok": False, "error": "signature does not match any configured "
                                                   "secret"}
    result = await check(e, "github")
    assert result.status is RunStatus.OK, result.message
    assert result.steps[0].note == ("last 1h: 3 deliveries, 1 duplicate(s), 1 signature "
                                    "failure(s)")
    await e.client.post(url, content=b"x", headers=other)  # 2 of 5 failed: 40% > 25%
    failed = await check(e, "github")
    assert (failed.category, failed.reason) == (Category.AUTH, "signature_failures")
    assert failed.message == ("2 of 5 deliveries in the last 1h failed their signature "
                              "(40%, over 25%)")


async def test_lag_is_receive_time_minus_the_signed_timestamp(
        endpoints: Endpoints) -> None:
    body = json.dumps({"type": "invoice.paid"}).encode()
    headers = send.standard([STD_SECRET], body, int(time.time()) - 90, "msg_lag")
    reply = await endpoints.client.post(f"{endpoints.base}/standard", content=body,
                                        headers=headers)
    assert reply.status_code == 200
    result = await check(endpoints, "standard")
    note = result.steps[0].note or ""
    match = re.search(r"lag up to 1m(\d+)s", note)
    assert match is not None and 30 <= int(match.group(1)) <= 59, note


async def test_unknown_endpoints_look_like_bad_signatures_and_bodies_are_capped(
        endpoints: Endpoints) -> None:
    e = endpoints
    other = send.github(GH["secret"], b"{}", "d-9")
    known = await e.client.post(f"{e.base}/github", content=b"{ }", headers=other)
    unknown = await e.client.post(f"{e.base}/nope", content=b"{ }", headers=other)
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    big = await e.client.post(f"{e.base}/github", content=b"x" * (1024 * 1024 + 1))
    assert big.status_code == 413
    assert (await e.client.get(f"{e.base}/github")).status_code == 405


def test_a_heartbeat_probe_takes_secret_or_signature_not_both() -> None:
    with pytest.raises(ValueError, match="not both"):
        heartbeat("x", {"scheme": "github", "secret": "a"}, secret="b")


# ------------------------------------------------------------------------ serve restart


def _serve_config(path: Path, port: int, period: str) -> None:
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:{port}"}}
integrations:
  - name: batch
    probes:
      - {{name: job, type: heartbeat, period: {period}, grace: 0s}}
""")


def _messages(db: Path) -> list[str]:
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute("select message from runs where message is not null")
            return [str(m) for (m,) in rows.fetchall()]
        except sqlite3.OperationalError:
            return []


def test_last_heartbeat_times_survive_a_serve_restart(tmp_path: Path) -> None:
    from tests.support.servers import free_port

    config, port, db = tmp_path / "seamwatch.yaml", free_port(), tmp_path / "runs.db"
    _serve_config(config, port, "1h")
    with ServeProcess(config) as serve:
        serve.wait_for_log(r"listening on http://")
        sent = time.time()
        assert httpx.post(f"http://127.0.0.1:{port}/heartbeat/batch/job").status_code == 200
        assert serve.terminate() == 0
    with sqlite3.connect(db, timeout=10) as conn:
        (seen_ms,) = conn.execute("select last_seen_ms from inbound_seen").fetchone()
    assert abs(seen_ms / 1000 - sent) < 5
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seen_ms / 1000))
    _serve_config(config, port, "1s")  # now that heartbeat is overdue at once
    with ServeProcess(config) as again:
        found = wait_until(lambda: [m for m in _messages(db) if "last heartbeat" in m],
                           what="a heartbeat_missed run after the restart")
        assert f"(at {when}Z)" in found[0], found
        assert again.terminate() == 0


async def test_the_receiver_restores_last_seen_times_of_known_endpoints() -> None:
    receiver = WebhookReceiver()
    receiver.configure(webhook_endpoints([("it/paid", heartbeat(
        "paid", {"scheme": "github", "secret": "s"}))]))
    receiver.restore({"it/paid": 1_700_000_000.0, "it/gone": 1.0})
    assert receiver.seen() == {"it/paid": 1_700_000_000.0}
    assert receiver.last_seen("it/paid") == 1_700_000_000.0
    body = b"{}"
    assert receiver.receive("it/paid", body, send.github("s", body, "d-1")).status == 200
    assert (receiver.last_seen("it/paid") or 0) > 1_700_000_000.0


async def test_a_webhook_endpoint_takes_no_plain_heartbeats(endpoints: Endpoints) -> None:
    """Else anyone could fake a signed provider's liveness through /heartbeat/."""
    heartbeat_url = endpoints.base.replace("/webhook/", "/heartbeat/")
    for name in ("github", "standard"):
        reply = await endpoints.client.post(f"{heartbeat_url}/{name}")
        assert reply.status_code == 401
        last = endpoints.heartbeats.last(f"it/{name}")
        assert last is not None and not last.received


def test_serve_runs_a_webhook_round_trip(tmp_path: Path) -> None:
    """The wiring of `serve`: the receiver reaches the runs through the runtime pool."""
    from tests.support.servers import UvicornThread, free_port

    secret = "whsec_serve-canary-77"
    provider = send.PaymentProvider(secret)
    port, db, config = free_port(), tmp_path / "runs.db", tmp_path / "seamwatch.yaml"
    provider.webhook_url = f"http://127.0.0.1:{port}/webhook/payments/paid"
    with UvicornThread(provider.app) as api:
        config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:{port}"}}
integrations:
  - name: payments
    base_url: {api.url}
    probes:
      - name: paid
        type: webhook
        interval: 1s
        within: 10s
        steps: [{{name: pay, method: POST, path: /v1/payments, json: {{mode: ok}},
                 save: {{payment_id: "$.id"}}}}]
        signature: {{scheme: stripe, secret: "{secret}"}}
        match: {{$.data.object.id: "{{{{ payment_id }}}}"}}
""")

        def webhook_steps() -> list[tuple[int, str | None]]:
            with sqlite3.connect(db, timeout=10) as conn:
                try:
                    rows = conn.execute("select r.status, s.message from run_steps s join runs r"
                                        " on r.id = s.run_id where s.name = 'webhook'")
                    return [(int(status), msg) for status, msg in rows.fetchall()]
                except sqlite3.OperationalError:
                    return []

        with ServeProcess(config) as serve:
            found = wait_until(lambda: [r for r in webhook_steps() if r[0] == 0],
                               what="an ok webhook round trip")
            assert found[0][1] == "1 delivery, 0 duplicate(s)"
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
            assert re.search(r'seamwatch_webhook_deliveries_total\{integration="payments",'
                             r'outcome="accepted",probe="paid"\} [1-9]', metrics), metrics
            assert serve.terminate() == 0
    assert secret not in serve.log
