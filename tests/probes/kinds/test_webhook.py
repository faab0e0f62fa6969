"""The webhook probe kind end to end: a real loopback "provider" (tests/support/webhooks.py)
that, when the trigger step creates a payment, POSTs a Stripe-signed webhook to seamwatch's real
listener (seamwatch/listener.py on a free loopback port, in this event loop); the run waits for
it through the shell's receiver (seamwatch/webhooks.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from probes.kinds.webhook import WebhookProbe
from probes.result import Category, ProbeResult, RunStatus
from probes.run import run_probe
from probes.runtime import IntegrationRuntime
from seamwatch.config import ConfigError, load_config
from seamwatch.listener import build_app
from seamwatch.webhooks import WebhookReceiver
from tests.probes.conftest import MakeRuntime, policy
from tests.support.listener import running_listener
from tests.support.servers import UvicornThread
from tests.support.webhooks import PaymentProvider

SECRET = "whsec_test-canary-5e1f"


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[PaymentProvider, UvicornThread]]:
    provider = PaymentProvider(SECRET)
    with UvicornThread(provider.app) as server:
        yield provider, server


@dataclass
class Harness:
    provider: PaymentProvider
    rt: IntegrationRuntime
    receiver: WebhookReceiver


@pytest.fixture
async def harness(provider: tuple[PaymentProvider, UvicornThread],
                  make_rt: MakeRuntime) -> AsyncIterator[Harness]:
    sender, server = provider
    receiver = WebhookReceiver()
    app = build_app(CollectorRegistry(), lambda: {"ok": True}, None, receiver)
    async with running_listener(app) as listener:
        sender.webhook_url = f"http://{listener.address}/webhook/it/payment-webhook"
        sender.answers.clear()
        rt = make_rt(server.url, secrets=(SECRET,))
        rt.webhooks = receiver
        yield Harness(sender, rt, receiver)


def webhook_probe(mode: str, **options: Any) -> WebhookProbe:
    return WebhookProbe.model_validate({
        "name": "payment-webhook", "type": "webhook",
        "steps": [{"name": "create-payment", "method": "POST", "path": "/v1/payments",
                   "json": {"mode": mode}, "expect": {"status": 201},
                   "save": {"payment_id": "$.id"}}],
        "signature": {"scheme": "stripe", "secret": SECRET},
        "match": {"$.data.object.id": "{{ payment_id }}"},
        "within": "10s",
        "expect": {"json": {"$.data.object.amount": {"equals": 500}}},
        "retries": 0,
        **options,
    })


async def run(h: Harness, probe: WebhookProbe) -> ProbeResult:
    result = await run_probe(h.rt, probe, policy(probe))
    assert SECRET not in repr(result)
    return result


async def test_a_round_trip_records_trigger_and_delivery_latency(harness: Harness) -> None:
    result = await run(harness, webhook_probe("ok"))
    assert result.status is RunStatus.OK, result.message
    assert [s.name for s in result.steps] == ["create-payment", "webhook"]
    trigger, wait = result.steps
    assert trigger.http_status == 201 and trigger.latency_ms is not None
    assert wait.latency_ms is not None and wait.latency_ms > 0
    assert wait.note == "1 delivery, 0 duplicate(s)"
    assert await harness.provider.answered(1) == [200]
    assert harness.receiver.last_seen("it/payment-webhook") is not None


async def test_a_retried_delivery_counts_once_as_a_duplicate(harness: Harness) -> None:
    result = await run(harness, webhook_probe("twice", settle="3s"))
    assert result.status is RunStatus.OK, result.message
    assert result.steps[-1].note == "2 deliveries, 1 duplicate(s)"
    assert await harness.provider.answered(2) == [200, 200]  # a duplicate is acknowledged


async def test_other_events_are_not_this_runs(harness: Harness) -> None:
    result = await run(harness, webhook_probe("other_first"))
    assert result.status is RunStatus.OK, result.message
    assert await harness.provider.answered(2) == [200, 200]


@pytest.mark.parametrize(("mode", "category", "reason", "in_message"), [
    ("silent", Category.TIMEOUT, "webhook_not_received", "no matching webhook within 1s"),
    ("wrong_secret", Category.AUTH, "bad_signature", "does not match any configured secret"),
    ("stale", Category.AUTH, "stale_timestamp", "over the 5m tolerance"),
    ("wrong_amount", Category.ASSERTION, "value_mismatch",
     "webhook body: $.data.object.amount: expected 500, got 999"),
])
async def test_failures(harness: Harness, mode: str, category: Category, reason: str,
                        in_message: str) -> None:
    result = await run(harness, webhook_probe(mode, within="1s"))
    assert result.status is RunStatus.FAILED
    assert (result.category, result.reason, result.failed_step) == (category, reason, "webhook")
    assert result.message is not None and in_message in result.message


async def test_a_failed_trigger_does_not_wait(harness: Harness) -> None:
    probe = webhook_probe("ok")
    probe.steps[0].expect.status = 200  # the provider answers 201
    result = await run(harness, probe)
    assert (result.category, result.failed_step) == (Category.ASSERTION, "create-payment")
    assert [s.name for s in result.steps] == ["create-payment"]


async def test_without_a_listener_it_is_a_config_failure(make_rt: MakeRuntime) -> None:
    probe = webhook_probe("ok")
    result = await run_probe(make_rt("http://127.0.0.1:9"), probe, policy(probe))
    assert (result.category, result.reason) == (Category.CONFIG, "no_listener")


@pytest.mark.parametrize(("options", "error"), [
    ({"timeout": "5s"}, "`timeout` (the whole run) must be longer than `within`"),
    ({"steps": [{"name": "webhook", "url": "http://127.0.0.1:9/"}]}, "duplicate step name"),
    ({"match": {"$.id": {"equal": 1}}}, "equal"),
])
def test_config_errors(options: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")
                       .replace("$", r"\$")):
        webhook_probe("ok", **options)


def test_the_run_outlasts_its_wait_and_is_not_retried(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text("""
defaults: {timeout: 10s, retries: 2}
integrations:
  - name: payments
    base_url: http://127.0.0.1:9
    probes:
      - name: paid
        type: webhook
        within: 2m
        steps: [{name: pay, method: POST, path: /v1/payments}]
        signature: {scheme: stripe, secret: "${STRIPE_WEBHOOK_SECRET}"}
      - {name: quick, type: webhook, within: 5s, timeout: 20s, retries: 1,
         steps: [{name: pay, path: /v1/payments}]}
""")
    config = load_config(path, environ={"STRIPE_WEBHOOK_SECRET": SECRET})
    paid, quick = config.entries
    assert (paid.policy.timeout_s, paid.policy.retries) == (150.0, 0)
    assert (quick.policy.timeout_s, quick.policy.retries) == (20.0, 1)
    assert SECRET in config.secrets and SECRET not in repr(config)


def test_a_webhook_probe_needs_the_listener(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text("""
runner: {listen: null}
integrations:
  - name: payments
    probes:
      - {name: paid, type: webhook, steps: [{name: pay, url: "http://127.0.0.1:9/"}]}
""")
    with pytest.raises(ConfigError, match="webhook probes need the listener"):
        load_config(path)
