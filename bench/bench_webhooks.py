"""Webhook receipt: the CPU seamwatch spends per delivery, in the same run as its baselines.

1. The receive path in-process (`WebhookReceiver.receive`: signature check, JSON parse, delivery
   id, duplicate check, hand-off to a waiting run's queue) for a 2 KiB Stripe event and a
   Standard Webhooks one, against a bare `hmac.new(...).hexdigest()` + `compare_digest` of the
   same body (the floor for any HMAC verification in Python).
2. Over loopback through the real listener: POST /webhook/ (signed) against GET /healthz, one
   keep-alive client, so the difference is what a delivery costs beyond the HTTP stack.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from prometheus_client import CollectorRegistry
from standardwebhooks.webhooks import Webhook

from seamwatch.listener import Listener, bind_socket, build_app
from seamwatch.webhooks import WebhookReceiver, webhook_endpoints

DELIVERIES = 20_000
OVER_HTTP = 500  # loopback round trips wait on delayed ACKs: wall time, not CPU
STRIPE_SECRET = "whsec_bench-stripe"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _event(n: int) -> bytes:
    return json.dumps({"id": f"evt_{n:08d}", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": f"pi_{n:08d}", "amount": 500,
                                           "metadata": {"note": "x" * 1800}}}}).encode()


def _stripe(body: bytes, now: int) -> dict[str, str]:
    signed = hmac.new(STRIPE_SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256)
    return {"Stripe-Signature": f"t={now},v1={signed.hexdigest()}"}


def _standard(body: bytes, now: int, msg_id: str) -> dict[str, str]:
    signature = Webhook(STANDARD_SECRET).sign(msg_id, datetime.fromtimestamp(now, UTC),
                                              body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(now), "webhook-signature": signature}


def _receiver() -> WebhookReceiver:
    from probes.kinds.webhook import WebhookProbe

    receiver = WebhookReceiver()
    probes = [(f"b/{scheme}", WebhookProbe.model_validate({
        "name": scheme, "type": "webhook", "steps": [{"name": "t", "url": "http://127.0.0.1:9/"}],
        "signature": {"scheme": scheme, "secret": secret}}))
        for scheme, secret in (("stripe", STRIPE_SECRET), ("standard", STANDARD_SECRET))]
    receiver.configure(webhook_endpoints(probes))
    return receiver


def _cpu_us(work: list[tuple[bytes, dict[str, str]]],
            each: Callable[[bytes, dict[str, str]], object]) -> float:
    started = time.process_time()
    for body, headers in work:
        each(body, headers)
    return (time.process_time() - started) / len(work) * 1e6


def in_process() -> None:
    now = int(time.time())
    bodies = [_event(n) for n in range(DELIVERIES)]
    stripe = [(b, _stripe(b, now)) for b in bodies]
    standard = [(b, _standard(b, now, f"msg_{n}")) for n, b in enumerate(bodies)]
    receiver = _receiver()
    key = STRIPE_SECRET.encode()

    def bare(body: bytes, headers: dict[str, str]) -> None:
        given = headers["Stripe-Signature"].split("v1=")[1]
        digest = hmac.new(key, f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        hmac.compare_digest(digest, given)

    floor = _cpu_us(stripe, bare)
    ours = _cpu_us(stripe, lambda b, h: receiver.receive("b/stripe", b, h))
    std = _cpu_us(standard, lambda b, h: receiver.receive("b/standard", b, h))
    print(f"   bare HMAC verify (2 KiB body)        {floor:7.1f} µs CPU / delivery")
    print(f"   receive, stripe                      {ours:7.1f} µs CPU / delivery "
          f"({ours / floor:.1f}x the bare HMAC)")
    print(f"   receive, standard (standardwebhooks) {std:7.1f} µs CPU / delivery")


async def over_http() -> None:
    receiver = _receiver()
    app = build_app(CollectorRegistry(), lambda: {"ok": True}, None, receiver)
    now = int(time.time())
    work = [(b, _stripe(b, now)) for b in map(_event, range(OVER_HTTP))]
    listener = Listener(app, bind_socket("127.0.0.1:0"))
    listener.start()
    async with httpx.AsyncClient(base_url=f"http://{listener.address}") as client:
        started = time.process_time()
        for _ in range(OVER_HTTP):
            assert (await client.get("/healthz")).status_code == 200
        health = (time.process_time() - started) / OVER_HTTP * 1e6
        started = time.process_time()
        for body, headers in work:
            reply = await client.post("/webhook/b/stripe", content=body, headers=headers)
            assert reply.status_code == 200
        hooks = (time.process_time() - started) / OVER_HTTP * 1e6
    await listener.stop()
    print(f"   GET /healthz over loopback (client+server) {health:7.0f} µs CPU / request")
    print(f"   POST /webhook/ signed 2 KiB, same           {hooks:7.0f} µs CPU / request "
          f"(+{hooks - health:.0f} µs)")


def main() -> None:
    in_process()
    asyncio.run(over_http())
