"""Rate-limit headers -> RateLimit, on every step.

Understood forms (first match wins per field, X- prefixed first):
- `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`
- `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF draft, delta seconds)
- combined `RateLimit: limit=100, remaining=50, reset=30` and the later draft's
  `RateLimit: "default";r=50;t=30` with `RateLimit-Policy: "default";q=100;w=60`
- `Retry-After`: delay seconds or an HTTP date

A reset value larger than 10^9 is an epoch timestamp (GitHub style) and is turned into seconds from
now; smaller values are delta seconds. List forms such as `100, 100;w=60` keep the first number.
"""

from __future__ import annotations

import math
import re
import time
from email.utils import parsedate_to_datetime

import httpx

from probes.result import RateLimit

_EPOCH_THRESHOLD = 1_000_000_000
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_PAIR = re.compile(r"([A-Za-z-]+)\s*=\s*\"?(-?[0-9]+(?:\.[0-9]+)?)")
_INTERESTING = frozenset(
    {
        "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset",
        "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
        "ratelimit", "ratelimit-policy", "retry-after",
    }
)
_COMBINED_KEYS = {"limit": "limit", "q": "limit", "remaining": "remaining", "r": "remaining",
                  "reset": "reset", "t": "reset"}


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


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """`120` -> 120.0; an HTTP date -> seconds from now (never negative); junk -> None."""
    value = value.strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts "²"
        return _finite(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:  # pragma: no cover - older Pythons
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def _parse_combined(value: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, number in _PAIR.findall(value.replace(";", ",")):
        field = _COMBINED_KEYS.get(key.lower())
        finite = _finite(number)
        if field and field not in out and finite is not None:
            out[field] = finite
    return out


def parse_rate_limit(headers: httpx.Headers, now: float | None = None) -> RateLimit | None:
    """The rate-limit state the response's headers report, or None when there is none."""
    found: dict[str, str] = {}
    for name, value in headers.multi_items():  # names come lower-cased; one pass, no lookups
        if name in _INTERESTING and name not in found:
            found[name] = value
    if not found:
        return None
    now = time.time() if now is None else now
    fields: dict[str, float] = {}
    for prefix in ("x-ratelimit-", "ratelimit-"):
        for field in ("limit", "remaining", "reset"):
            raw = found.get(prefix + field)
            if raw is not None and field not in fields:
                number = _first_number(raw)
                if number is not None:
                    fields[field] = number
    if "ratelimit" in found:
        for field, number in _parse_combined(found["ratelimit"]).items():
            fields.setdefault(field, number)
    if "ratelimit-policy" in found and "limit" not in fields:
        policy = _parse_combined(found["ratelimit-policy"])
        if "limit" in policy:
            fields["limit"] = policy["limit"]
    result = RateLimit(
        limit=int(fields["limit"]) if "limit" in fields else None,
        remaining=max(0, int(fields["remaining"])) if "remaining" in fields else None,
        reset_s=_reset_seconds(fields["reset"], now) if "reset" in fields else None,
        retry_after_s=parse_retry_after(found["retry-after"], now)
        if "retry-after" in found
        else None,
    )
    return None if result.is_empty() else result
