"""A webhook sender for tests: signs a delivery the way each provider documents it, written from
the providers' documentation (not from seamwatch's verifier), so a test that passes means
seamwatch verifies what providers really send. Standard Webhooks signs through the reference
`standardwebhooks` package."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

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
