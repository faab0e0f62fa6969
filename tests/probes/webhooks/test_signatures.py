"""Signature schemes (probes/webhooks/signatures.py) against the providers' published test vectors
and a sender written from their documentation (tests/support/webhooks.py): authentic, tampered,
wrong key, stale, rotated keys, missing headers, and what names a delivery."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from probes.webhooks.signatures import (
    BAD_SIGNATURE,
    MISMATCH_MESSAGE,
    STALE_TIMESTAMP,
    delivery_id,
    verify,
)
from probes.webhooks.spec import SignatureSpec
from tests.support import webhooks as send

NOW = 1_760_000_000
OLD_STD = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW_STD = "whsec_c2VhbXdhdGNoLXJvdGF0ZWQta2V5LTAwMDE="
BODY = json.dumps({"id": "evt_1", "event_id": "Ev1", "data": {"object": {"id": "pi_9"}}}).encode()


def spec(scheme: str, secret: str, **extra: Any) -> SignatureSpec:
    return SignatureSpec.model_validate({"scheme": scheme, "secret": secret, **extra})


@pytest.mark.parametrize(("scheme", "secret", "body", "headers", "now"), [
    ("github", send.GITHUB_VECTOR["secret"], send.GITHUB_VECTOR["body"],
     {"X-Hub-Signature-256": send.GITHUB_VECTOR["signature"]}, NOW),
    ("standard", send.STANDARD_VECTOR["secret"], send.STANDARD_VECTOR["body"],
     {"webhook-id": send.STANDARD_VECTOR["id"],
      "webhook-timestamp": str(send.STANDARD_VECTOR["timestamp"]),
      "webhook-signature": send.STANDARD_VECTOR["signature"]},
     send.STANDARD_VECTOR["timestamp"]),
    ("slack", send.SLACK_VECTOR["secret"], send.SLACK_VECTOR["body"],
     {"X-Slack-Signature": send.SLACK_VECTOR["signature"],
      "X-Slack-Request-Timestamp": str(send.SLACK_VECTOR["timestamp"])},
     send.SLACK_VECTOR["timestamp"]),
], ids=["github", "standard", "slack"])
def test_published_vectors_verify(scheme: str, secret: str, body: bytes,
                                  headers: dict[str, str], now: int) -> None:
    assert verify(spec(scheme, secret), body, headers, now).ok
    assert verify(spec(scheme, secret), body + b" ", headers, now).reason == BAD_SIGNATURE


def _signed(scheme: str, secrets: list[str], body: bytes, ts: int) -> dict[str, str]:
    if scheme == "standard":
        return send.standard(secrets, body, ts, "msg_1")
    if scheme == "stripe":
        return send.stripe(secrets, body, ts)
    if scheme == "github":
        return send.github(secrets[0], body, "d-1")
    if scheme == "slack":
        return send.slack(secrets[0], body, ts)
    return send.generic(secrets[0], body, prefix="sha256=", timestamp=ts)


SCHEMES = {  # scheme -> (a secret, another secret, extra spec keys)
    "standard": (NEW_STD, OLD_STD, {}),
    "stripe": ("whsec_stripe_new", "whsec_stripe_old", {}),
    "github": ("gh-new", "gh-old", {}),
    "slack": ("slack-new", "slack-old", {}),
    "hmac": ("hmac-new", "hmac-old", {"prefix": "sha256=", "timestamp_header": "X-Timestamp"}),
}
DATED = [s for s in SCHEMES if s != "github"]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_authentic_tampered_and_wrong_key(scheme: str) -> None:
    new, old, extra = SCHEMES[scheme]
    headers = _signed(scheme, [new], BODY, NOW)
    assert verify(spec(scheme, new, **extra), BODY, headers, NOW).ok
    tampered = verify(spec(scheme, new, **extra), BODY.replace(b"pi_9", b"pi_8"), headers, NOW)
    assert (tampered.reason, tampered.message) == (BAD_SIGNATURE, MISMATCH_MESSAGE)
    assert verify(spec(scheme, old, **extra), BODY, headers, NOW).reason == BAD_SIGNATURE
    missing = verify(spec(scheme, new, **extra), BODY, {}, NOW)
    assert missing.reason == BAD_SIGNATURE and "missing" in (missing.message or "")


@pytest.mark.parametrize("scheme", DATED)
def test_a_stale_timestamp_is_rejected_after_the_signature_matched(scheme: str) -> None:
    new, old, extra = SCHEMES[scheme]
    headers = _signed(scheme, [new], BODY, NOW - 301)
    stale = verify(spec(scheme, new, **extra), BODY, headers, NOW)
    assert stale.reason == STALE_TIMESTAMP and "5m1s from now" in (stale.message or "")
    assert verify(spec(scheme, new, tolerance="10m", **extra), BODY, headers, NOW).ok
    assert verify(spec(scheme, old, **extra), BODY, headers, NOW).reason == BAD_SIGNATURE
    future = verify(spec(scheme, new, **extra), BODY, _signed(scheme, [new], BODY, NOW + 400),
                    NOW)
    assert future.reason == STALE_TIMESTAMP


@pytest.mark.parametrize("scheme", ["standard", "stripe"])
def test_a_provider_rolling_its_key_sends_both_signatures(scheme: str) -> None:
    new, old, _ = SCHEMES[scheme]
    both = _signed(scheme, [old, new], BODY, NOW)
    assert verify(spec(scheme, new), BODY, both, NOW).ok
    assert verify(spec(scheme, old), BODY, both, NOW).ok
    assert verify(spec(scheme, "whsec_c29tZXRoaW5nLWVsc2U="), BODY, both, NOW).reason \
        == BAD_SIGNATURE


@pytest.mark.parametrize("scheme", SCHEMES)
def test_previous_secrets_are_accepted_during_a_rotation(scheme: str) -> None:
    new, old, extra = SCHEMES[scheme]
    by_old = _signed(scheme, [old], BODY, NOW)
    assert verify(spec(scheme, new, **extra), BODY, by_old, NOW).reason == BAD_SIGNATURE
    assert verify(spec(scheme, new, previous_secrets=[old], **extra), BODY, by_old, NOW).ok


@pytest.mark.parametrize(("encoding", "header", "prefix"), [
    ("hex", "X-Signature", ""), ("base64", "X-Acme-Sig", "v1="), ("hex", "X-Sig", "sha256=")])
def test_generic_hmac_header_prefix_and_encoding(encoding: str, header: str, prefix: str) -> None:
    config = spec("hmac", "k", header=header, prefix=prefix, encoding=encoding)
    headers = send.generic("k", BODY, header=header, prefix=prefix, encoding=encoding)
    assert verify(config, BODY, headers, NOW).ok
    other = "base64" if encoding == "hex" else "hex"
    wrong = send.generic("k", BODY, header=header, prefix=prefix, encoding=other)
    assert verify(config, BODY, wrong, NOW).reason == BAD_SIGNATURE


@pytest.mark.parametrize(("scheme", "headers", "expected"), [
    ("standard", {"Webhook-Id": "msg_7"}, "msg_7"),
    ("github", {"X-GitHub-Delivery": "72d3162e"}, "72d3162e"),
    ("stripe", {}, "evt_1"),
    ("slack", {}, "Ev1"),
    ("hmac", {"X-Request-Id": "r-1"}, None),
])
def test_what_names_a_delivery(scheme: str, headers: dict[str, str],
                               expected: str | None) -> None:
    assert delivery_id(spec(scheme, NEW_STD), headers, json.loads(BODY)) == expected
    custom = spec(scheme, NEW_STD, id_header="X-Request-Id")
    assert delivery_id(custom, {"x-request-id": "r-2"}, json.loads(BODY)) == "r-2"


def test_hmac_only_keys_are_refused_for_other_schemes() -> None:
    with pytest.raises(ValidationError, match="header: only for `scheme: hmac`"):
        spec("stripe", "whsec_x", header="X-Sig")
    with pytest.raises(ValidationError, match="scheme"):
        spec("paypal", "x")


def test_a_secret_never_appears_in_a_verdict() -> None:
    secret = "whsec_canary-9f8e7d"
    for scheme in SCHEMES:
        extra = SCHEMES[scheme][2]
        for headers in (_signed(scheme, [SCHEMES[scheme][1]], BODY, NOW), {}):
            verdict = verify(spec(scheme, secret, **extra), BODY, headers, NOW)
            assert secret not in repr(verdict) and "canary" not in repr(verdict)
