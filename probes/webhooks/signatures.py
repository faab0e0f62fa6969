"""Webhook signature schemes, one small interface and a table of implementations (`SCHEMES`).

Every scheme verifies the RAW body (never a re-serialised one) with HMAC-SHA256, compares in
constant time (`hmac.compare_digest`), accepts any of several signatures in the request (a
provider rolling its secret signs with both) under any of the configured keys (`secret` and
`previous_secrets`), and rejects a signed timestamp further than `tolerance` from the clock.
The signature is checked before the timestamp, so `stale_timestamp` means an authentic but old
(replayed or long-retried) delivery, and `bad_signature` everything else (missing, malformed or
wrong). Messages never contain a secret or a signature.

- standard: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> …` over
  `id.timestamp.body`; the key is the base64 after `whsec_` (the standardwebhooks package signs).
- stripe: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=…]` over `ts.body`; the key is the whole
  `whsec_…` string.
- github: `X-Hub-Signature-256: sha256=<hex>` over the body; delivery id `X-GitHub-Delivery`.
- slack: `X-Slack-Signature: v0=<hex>` over `v0:ts:body`, `X-Slack-Request-Timestamp`.
- hmac: `header` (X-Signature), `prefix`, `encoding` hex/base64 over the body, or over
  `ts.body` with `timestamp_header`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.types import format_duration
from probes.webhooks.spec import SignatureSpec

BAD_SIGNATURE = "bad_signature"
STALE_TIMESTAMP = "stale_timestamp"
MISMATCH_MESSAGE = "signature does not match any configured secret"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of verifying one delivery: `reason` is None when it is authentic and fresh."""

    reason: str | None = None
    message: str | None = None
    signed_at: float | None = None  # unix seconds the provider signed, where the scheme says

    @property
    def ok(self) -> bool:
        return self.reason is None


class Scheme:
    """One signature scheme; `headers` arrive with lower-case names."""

    id_header: str | None = None  # the header naming a delivery (retries repeat it)
    id_field: str | None = None  # else a top-level field of the JSON body naming it

    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        raise NotImplementedError


def _bad(message: str) -> Verdict:
    return Verdict(BAD_SIGNATURE, message)


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def _any_match(expected: Iterable[bytes], given: list[bytes]) -> bool:
    """Constant time per comparison; every pair is compared (no early exit on the key)."""
    found = False
    for digest in expected:
        for candidate in given:
            found |= hmac.compare_digest(digest, candidate)
    return found


def _dated(spec: SignatureSpec, text: str | None, header: str, now: float,
           matched: bool) -> Verdict:
    """The verdict for a signature that matched (or not) and its timestamp header."""
    if not matched:
        return _bad(MISMATCH_MESSAGE)
    try:
        sent = float(text or "")
    except ValueError:
        return _bad(f"{header} is not a number of seconds")
    if not math.isfinite(sent):
        return _bad(f"{header} is not a number of seconds")
    if abs(now - sent) > spec.tolerance:
        return Verdict(STALE_TIMESTAMP,
                       f"signed {format_duration(abs(now - sent))} from now, over the "
                       f"{format_duration(spec.tolerance)} tolerance", sent)
    return Verdict(signed_at=sent)


def _hex(values: Iterable[str]) -> list[bytes]:
    out = []
    for value in values:
        try:
            out.append(bytes.fromhex(value.strip()))
        except ValueError:
            continue
    return out


def _b64(values: Iterable[str]) -> list[bytes]:
    out = []
    for value in values:
        try:
            out.append(base64.b64decode(value.strip(), validate=True))
        except (binascii.Error, ValueError):
            continue
    return out


class Standard(Scheme):
    """Standard Webhooks (standardwebhooks.com), signing through the `standardwebhooks`
    package."""

    id_header = "webhook-id"

    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        from standardwebhooks.webhooks import Webhook  # only where deliveries are verified

        msg_id, stamp = headers.get("webhook-id"), headers.get("webhook-timestamp")
        given = headers.get("webhook-signature")
        if not (msg_id and stamp and given):
            return _bad("missing webhook-id, webhook-timestamp or webhook-signature")
        try:
            text = body.decode()
            when = datetime.fromtimestamp(int(stamp), UTC)
        except (UnicodeDecodeError, ValueError, OverflowError, OSError):
            return _bad("webhook-timestamp is not unix seconds, or the body is not UTF-8")
        expected = []
        for key in spec.accepted_keys():
            try:
                signed = Webhook(key).sign(msg_id=msg_id, timestamp=when, data=text)
            except Exception:  # not a base64 key: nothing it could match
                continue
            expected.append(base64.b64decode(signed.split(",", 1)[1]))
        versioned = [part.split(",", 1) for part in given.split()]
        signatures = _b64(sig for parts in versioned if len(parts) == 2 and parts[0] == "v1"
                          for sig in parts[1:])
        return _dated(spec, stamp, "webhook-timestamp", now, _any_match(expected, signatures))


class Stripe(Scheme):
    id_field = "id"  # the event id: a retried event keeps it

    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        given = headers.get("stripe-signature")
        if not given:
            return _bad("missing Stripe-Signature header")
        pairs = [item.split("=", 1) for item in given.split(",") if "=" in item]
        stamps = [v.strip() for k, v in pairs if k.strip() == "t"]
        if len(stamps) != 1:
            return _bad("Stripe-Signature has no single t= timestamp")
        signed = stamps[0].encode() + b"." + body
        expected = [_hmac(key.encode(), signed) for key in spec.accepted_keys()]
        signatures = _hex(v for k, v in pairs if k.strip() == "v1")
        return _dated(spec, stamps[0], "Stripe-Signature t=", now,
                      _any_match(expected, signatures))


class GitHub(Scheme):
    id_header = "x-github-delivery"

    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        given = headers.get("x-hub-signature-256", "")
        if not given.startswith("sha256="):
            return _bad("missing X-Hub-Signature-256: sha256=<hex> header")
        expected = [_hmac(key.encode(), body) for key in spec.accepted_keys()]
        if not _any_match(expected, _hex([given.removeprefix("sha256=")])):
            return _bad(MISMATCH_MESSAGE)
        return Verdict()  # GitHub signs no timestamp


class Slack(Scheme):
    id_field = "event_id"  # Events API; retries add X-Slack-Retry-Num and keep it

    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        given = headers.get("x-slack-signature", "")
        stamp = headers.get("x-slack-request-timestamp")
        if not given.startswith("v0=") or not stamp:
            return _bad("missing X-Slack-Signature: v0=<hex> or X-Slack-Request-Timestamp")
        signed = b"v0:" + stamp.encode() + b":" + body
        expected = [_hmac(key.encode(), signed) for key in spec.accepted_keys()]
        return _dated(spec, stamp, "X-Slack-Request-Timestamp", now,
                      _any_match(expected, _hex([given.removeprefix("v0=")])))


class GenericHmac(Scheme):
    def verify(self, spec: SignatureSpec, body: bytes, headers: Mapping[str, str],
               now: float) -> Verdict:
        name = spec.header or "X-Signature"
        given = headers.get(name.lower(), "")
        if not given or not given.startswith(spec.prefix):
            return _bad(f"missing {name} header" + (f" starting {spec.prefix!r}"
                                                     if spec.prefix else ""))
        stamp = None
        message = body
        if spec.timestamp_header:
            stamp = headers.get(spec.timestamp_header.lower())
            if not stamp:
                return _bad(f"missing {spec.timestamp_header} header")
            message = stamp.encode() + b"." + body
        expected = [_hmac(key.encode(), message) for key in spec.accepted_keys()]
        decode: Callable[[Iterable[str]], list[bytes]] = _hex if spec.encoding == "hex" else _b64
        matched = _any_match(expected, decode([given[len(spec.prefix):]]))
        if spec.timestamp_header:
            return _dated(spec, stamp, spec.timestamp_header, now, matched)
        return Verdict() if matched else _bad(MISMATCH_MESSAGE)


SCHEMES: dict[str, Scheme] = {
    "standard": Standard(),
    "stripe": Stripe(),
    "github": GitHub(),
    "slack": Slack(),
    "hmac": GenericHmac(),
}


def verify(spec: SignatureSpec, body: bytes, headers: Mapping[str, str], now: float) -> Verdict:
    """Verify one delivery under `spec` (headers in any case)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return SCHEMES[spec.scheme].verify(spec, body, lowered, now)


def delivery_id(spec: SignatureSpec | None, headers: Mapping[str, str], doc: Any) -> str | None:
    """What names a delivery, so a retry of it counts as a duplicate: `id_header` if set, else
    the scheme's header, else the scheme's body field."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if spec is not None and spec.id_header:
        return lowered.get(spec.id_header.lower())
    scheme = SCHEMES[spec.scheme] if spec is not None else None
    if scheme is None:
        return lowered.get("webhook-id") or lowered.get("x-github-delivery")
    if scheme.id_header:
        return lowered.get(scheme.id_header)
    found = doc.get(scheme.id_field) if scheme.id_field and isinstance(doc, dict) else None
    return str(found) if isinstance(found, str | int) else None
