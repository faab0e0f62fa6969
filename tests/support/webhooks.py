"""A webhook sender for tests: signs a delivery the way each provider documents it, written from
the providers' documentation (not from seamwatch's verifier), so a test that passes means
seamwatch verifies what providers really send. Standard Webhooks signs through the reference
`standardwebhooks` package."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

# Published test vectors.
GITHUB_VECTOR = {  # docs.github.com, "Validating webhook deliveries"
    "secret": "It's a Secret to Everybody",
    "body": b"Hello, World!",
    "signature": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
}
STANDARD_VECTOR = {  # the Standard Webhooks spec's example
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
SLACK_VECTOR = {  # api.slack.com, "Verifying requests from Slack"
    "secret": "8f742231b10e8888abcd99yyyzzz85a5",
    "timestamp": 1531420618,
    "body": (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&"
             b"channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
             b"command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
             b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
             b"trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"),
    "signature": "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
}


def _hex(key: str, message: bytes) -> str:
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def standard(secrets: list[str], body: bytes, timestamp: int, msg_id: str) -> dict[str, str]:
    """Standard Webhooks headers; several secrets give several signatures (a key rotation)."""
    when = datetime.fromtimestamp(timestamp, UTC)
    signatures = " ".join(Webhook(s).sign(msg_id, when, body.decode()) for s in secrets)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures}


def stripe(secrets: list[str], body: bytes, timestamp: int) -> dict[str, str]:
    """Stripe-Signature: the whole `whsec_…` string is the HMAC key; one v1 per secret."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}", *(f"v1={_hex(s, signed)}" for s in secrets)]
    return {"Stripe-Signature": ",".join(parts)}


def github(secret: str, body: bytes, delivery: str) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + _hex(secret, body),
            "X-GitHub-Delivery": delivery, "X-GitHub-Event": "push"}


def slack(secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    signed = f"v0:{timestamp}:".encode() + body
    return {"X-Slack-Signature": "v0=" + _hex(secret, signed),
            "X-Slack-Request-Timestamp": str(timestamp)}


def generic(secret: str, body: bytes, *, header: str = "X-Signature", prefix: str = "",
            encoding: str = "hex", timestamp: int | None = None,
            timestamp_header: str = "X-Timestamp") -> dict[str, str]:
    message = body if timestamp is None else f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    text = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
    headers = {header: prefix + text}
    if timestamp is not None:
        headers[timestamp_header] = str(timestamp)
    return headers


class PaymentProvider:
    """A Stripe-like provider on loopback: `POST /v1/payments` (JSON `{"mode": …}`) answers 201
    with a new payment id, then calls `webhook_url` back with a signed `payment_intent.succeeded`
    event, as the mode says:

    ok: once · twice: the same event twice (a retry: same event id) · silent: never ·
    wrong_secret: signed under another secret · stale: signed 10 minutes ago · other_first: an
    event for another payment first, then this one · wrong_amount: the event says 999."""

    def __init__(self, secret: str) -> None:
        from starlette.applications import Starlette
        from starlette.background import BackgroundTask
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        self.secret = secret
        self.webhook_url = ""
        self.answers: list[int] = []  # the listener's status for each delivery, in order
        self._answered = threading.Condition()

        async def create(request: Request) -> JSONResponse:
            mode = (await request.json()).get("mode", "ok")
            payment = f"pi_{uuid.uuid4().hex[:16]}"
            task = BackgroundTask(self.deliver, payment, mode)
            return JSONResponse({"id": payment, "status": "processing"}, 201, background=task)

        self.app = Starlette(routes=[Route("/v1/payments", create, methods=["POST"])])

    def event(self, payment: str, amount: int = 500) -> bytes:
        return json.dumps({"id": f"evt_{uuid.uuid4().hex[:16]}", "type":
                           "payment_intent.succeeded", "data": {"object": {
                               "id": payment, "amount": amount, "status": "succeeded"}}}).encode()

    def post(self, body: bytes, secret: str | None = None, at: int | None = None) -> None:
        headers = stripe([secret or self.secret], body, at or int(time.time()))
        headers["content-type"] = "application/json"
        status = httpx.post(self.webhook_url, content=body, headers=headers).status_code
        with self._answered:
            self.answers.append(status)
            self._answered.notify_all()

    async def answered(self, count: int, timeout: float = 10.0) -> list[int]:
        """The listener's answers once `count` deliveries were answered (or at the timeout)."""

        def wait() -> list[int]:
            with self._answered:
                self._answered.wait_for(lambda: len(self.answers) >= count, timeout)
                return list(self.answers)

        return await asyncio.to_thread(wait)

    def deliver(self, payment: str, mode: str) -> None:
        body = self.event(payment, 999 if mode == "wrong_amount" else 500)
        if mode == "silent":
            return
        if mode == "other_first":
            self.post(self.event("pi_someone_else"))
        if mode == "wrong_secret":
            self.post(body, secret="whsec_not-the-configured-one")
        elif mode == "stale":
            self.post(body, at=int(time.time()) - 600)
        else:
            self.post(body)
        if mode == "twice":
            self.post(body)
