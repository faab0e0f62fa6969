"""Rate-limit headers -> RateLimit samples, on every step (docs/architecture.md, "Probe kinds").

Conventions understood, each into the same `RateLimit(policy, limit, remaining, reset_s,
retry_after_s)`:

- IETF structured fields, draft -07 and later: `RateLimit: "burst";r=5;t=1, "day";r=900;t=3000`
  with `RateLimit-Policy: "burst";q=10;w=1, "day";q=1000;w=86400` (parsed with `http-sf`); each
  named policy is its own sample. The older dictionary form `RateLimit: limit=100, remaining=50,
  reset=30` (drafts -03..-06) joins the unnamed sample below.
- Unnamed, field by field, first family wins: `X-RateLimit-*` (GitHub: epoch reset, `-Used`,
  policy name from `X-RateLimit-Resource`), `RateLimit-Limit/-Remaining/-Reset` (drafts -00..-02;
  list forms such as `100, 100;w=60` keep the first number), `X-Rate-Limit-*` (X/Twitter).
- Shopify's `X-Shopify-Shop-Api-Call-Limit: 32/40` (used/limit).
- `Retry-After` (delay seconds or an HTTP date), and a 429 as "exhausted now": the policy whose
  reset is nearest `Retry-After` (else the tightest) gets `remaining=0`, and its reset from
  `Retry-After` when it has none.

A reset larger than 10^9 is an epoch timestamp; smaller values are delta seconds. Absolute times
(epoch resets, `Retry-After` dates) are turned into seconds against the response's `Date`, not the
local clock, so a server whose clock is off still reports the right delay. Malformed or absurd
values (a 400-digit number, a broken structured field) are ignored, never raised.
"""

from __future__ import annotations

import math
import re
import time
from collections import UserString
from email.utils import parsedate_to_datetime
from functools import lru_cache

import http_sf
import httpx

from probes.result import RateLimit

_EPOCH_THRESHOLD = 1_000_000_000
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_SHOPIFY = re.compile(r"\s*([0-9]{1,12})\s*/\s*([0-9]{1,12})\s*$")
# Unnamed families, in the order their fields win.
_FAMILIES = ("x-ratelimit-", "ratelimit-", "x-rate-limit-")
_INTERESTING = frozenset(
    {family + field for family in _FAMILIES for field in ("limit", "remaining", "reset")}
    | {"x-ratelimit-used", "x-ratelimit-resource", "ratelimit", "ratelimit-policy",
       "retry-after", "x-shopify-shop-api-call-limit"}
)
_DICTIONARY_KEYS = {"limit": "limit", "remaining": "remaining", "reset": "reset"}
_POLICY_NAME_MAX = 100


def _finite(text: str) -> float | None:
    """`text` (ASCII digits) as a float, or None when it overflows to infinity (a 400-digit
    value from a hostile server must not crash the run)."""
    number = float(text)
    return number if math.isfinite(number) else None


def _first_number(value: str) -> float | None:
    match = _NUMBER.search(value)
    return _finite(match.group()) if match else None


def _reset_seconds(value: float, now: float) -> float:
    if value > _EPOCH_THRESHOLD:
        return max(0.0, value - now)
    return max(0.0, value)


@lru_cache(maxsize=64)  # every response of the same second carries the same Date
def _http_date(value: str) -> float | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return None if when is None else when.timestamp()


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """`120` -> 120.0; an HTTP date -> seconds from `now` (never negative); junk -> None."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts "²"
        return _finite(value)
    when = _http_date(value)
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when - now)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _name(item: object) -> str | None:
    """A list item's name: a String or a Token (http_sf gives a Token as a UserString)."""
    return str(item)[:_POLICY_NAME_MAX] if isinstance(item, str | UserString) else None


def _structured(value: str, tltype: str) -> object:
    try:
        return http_sf.parse(value.encode("ascii", "replace"), tltype=tltype)
    except ValueError:  # http_sf's StructuredFieldError: a malformed field is ignored
        return None


def _named_policies(found: dict[str, str], now: float) -> tuple[list[RateLimit], dict[str, float]]:
    """IETF draft -07+ named policies, and the older dictionary form's unnamed fields."""
    named: list[RateLimit] = []
    unnamed: dict[str, float] = {}
    quotas: dict[str, tuple[float | None, float | None]] = {}
    if "ratelimit-policy" in found:
        parsed = _structured(found["ratelimit-policy"], "list")
        for item, params in parsed if isinstance(parsed, list) else []:
            name = _name(item)
            if name is not None and isinstance(params, dict):
                quotas[name] = (_number(params.get("q")), _number(params.get("w")))
    if "ratelimit" not in found:
        return named, unnamed
    value = found["ratelimit"]
    parsed = _structured(value, "list")
    if isinstance(parsed, list) and any(_name(item) is not None for item, _ in parsed):
        for item, params in parsed:
            name = _name(item)
            if name is None or not isinstance(params, dict):
                continue
            remaining, reset = _number(params.get("r")), _number(params.get("t"))
            limit = quotas.get(name, (None, None))[0]
            named.append(RateLimit(
                policy=name,
                limit=int(limit) if limit is not None else None,
                remaining=max(0, int(remaining)) if remaining is not None else None,
                reset_s=_reset_seconds(reset, now) if reset is not None else None,
            ))
        return named, unnamed
    dictionary = _structured(value, "dictionary")
    if isinstance(dictionary, dict):
        for key, member in dictionary.items():
            field = _DICTIONARY_KEYS.get(str(key).lower())
            number = _number(member[0]) if isinstance(member, tuple) else None
            if field and number is not None:
                unnamed.setdefault(field, number)
    return named, unnamed


def _unnamed(found: dict[str, str], fields: dict[str, float], now: float) -> RateLimit | None:
    for family in _FAMILIES:
        for field in ("limit", "remaining", "reset"):
            raw = found.get(family + field)
            if raw is not None and field not in fields:
                number = _first_number(raw)
                if number is not None:
                    fields[field] = number
    if "remaining" not in fields and "limit" in fields and "x-ratelimit-used" in found:
        used = _first_number(found["x-ratelimit-used"])
        if used is not None:
            fields["remaining"] = fields["limit"] - used
    shopify = _SHOPIFY.match(found.get("x-shopify-shop-api-call-limit", ""))
    if shopify and "limit" not in fields:
        used, limit = int(shopify.group(1)), int(shopify.group(2))
        fields.update(limit=float(limit), remaining=float(limit - used))
    if not fields:
        return None
    resource = found.get("x-ratelimit-resource", "").strip()[:_POLICY_NAME_MAX]
    return RateLimit(
        policy=resource or None,
        limit=int(fields["limit"]) if "limit" in fields else None,
        remaining=max(0, int(fields["remaining"])) if "remaining" in fields else None,
        reset_s=_reset_seconds(fields["reset"], now) if "reset" in fields else None,
    )


def _tightness(sample: RateLimit) -> tuple[int, float]:
    if sample.remaining == 0:
        return (0, 0.0)
    headroom = sample.headroom
    return (1, headroom) if headroom is not None else (2, float(sample.remaining or 0))


def parse_rate_limits(
    headers: httpx.Headers, *, status: int | None = None, now: float | None = None,
) -> list[RateLimit]:
    """Every rate-limit policy the response reports, tightest first (empty when none)."""
    found: dict[str, str] = {}
    date: str | None = None
    for name, value in headers.multi_items():  # names come lower-cased; one pass, no lookups
        if name in _INTERESTING and name not in found:
            found[name] = value
        elif name == "date" and date is None:
            date = value
    if not found and status != 429:
        return []  # every response has a Date: it is only read when there is more to read
    now = time.time() if now is None else now
    if date is not None:  # absolute times count from the server's clock
        now = _http_date(date) or now
    named, dictionary_fields = _named_policies(found, now)
    unnamed = _unnamed(found, dictionary_fields, now)
    samples = sorted(named + ([unnamed] if unnamed else []), key=_tightness)
    retry_after = parse_retry_after(found["retry-after"], now) if "retry-after" in found else None
    if status == 429:
        if retry_after is not None and samples:  # the exhausted policy resets when we may retry
            samples.sort(key=lambda s: abs((s.reset_s or math.inf) - retry_after))
        exhausted = samples[0] if samples else RateLimit()
        exhausted.remaining = 0
        if exhausted.reset_s is None:
            exhausted.reset_s = retry_after
        samples[:1] = [exhausted]
    if retry_after is not None:
        if samples:
            samples[0].retry_after_s = retry_after
        else:
            samples.append(RateLimit(retry_after_s=retry_after))
    return [sample for sample in samples if not sample.is_empty()]


def parse_rate_limit(
    headers: httpx.Headers, *, status: int | None = None, now: float | None = None,
) -> RateLimit | None:
    """The tightest rate-limit policy the response reports (the one stored with the step)."""
    samples = parse_rate_limits(headers, status=status, now=now)
    return samples[0] if samples else None
