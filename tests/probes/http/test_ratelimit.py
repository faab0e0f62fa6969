"""Rate-limit header parsing (table) and capture from a real server."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from probes.http.exchange import run_http_attempt
from probes.http.ratelimit import parse_rate_limit, parse_retry_after
from probes.result import RateLimit
from tests.probes.conftest import MakeRuntime, http_probe, step
from tests.support.servers import UvicornThread

NOW = 1_700_000_000.0

CASES: list[tuple[dict[str, str], RateLimit | None]] = [
    ({}, None),
    ({"Content-Type": "application/json"}, None),
    ({"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "30"},
     RateLimit(limit=100, remaining=7, reset_s=30.0)),
    ({"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": str(int(NOW) + 90)},  # GitHub: epoch seconds
     RateLimit(limit=5000, remaining=4999, reset_s=90.0)),
    ({"RateLimit-Limit": "60", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"},
     RateLimit(limit=60, remaining=0, reset_s=12.0)),
    ({"RateLimit-Limit": "100, 100;w=60", "RateLimit-Remaining": "50"},  # list form
     RateLimit(limit=100, remaining=50)),
    ({"RateLimit": "limit=100, remaining=50, reset=30"},
     RateLimit(limit=100, remaining=50, reset_s=30.0)),
    ({"RateLimit": '"default";r=50;t=30', "RateLimit-Policy": '"default";q=100;w=60'},
     RateLimit(limit=100, remaining=50, reset_s=30.0)),
    ({"X-RateLimit-Remaining": "3", "RateLimit-Limit": "10"},  # mixed families
     RateLimit(limit=10, remaining=3)),
    ({"Retry-After": "120"}, RateLimit(retry_after_s=120.0)),
    ({"Retry-After": formatdate(NOW + 45, usegmt=True)}, RateLimit(retry_after_s=45.0)),
    ({"Retry-After": formatdate(NOW - 45, usegmt=True)}, RateLimit(retry_after_s=0.0)),
    ({"Retry-After": "soon"}, None),
    ({"X-RateLimit-Remaining": "-1"}, RateLimit(remaining=0)),
    ({"X-RateLimit-Limit": "lots"}, None),
]


@pytest.mark.parametrize(("headers", "expected"), CASES)
def test_parse_rate_limit(headers: dict[str, str], expected: RateLimit | None) -> None:
    assert parse_rate_limit(httpx.Headers(headers), now=NOW) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("0", 0.0), ("17", 17.0), ("", None), ("-3", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
])
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


HUGE = "9" * 400  # overflows a float to infinity


@pytest.mark.parametrize(("raw", "expected"), [
    ([(b"Retry-After", b"\xb9")], None),  # latin-1 superscript one: isdigit() but no float
    ([(b"Retry-After", "²".encode())], None),
    ([(b"Retry-After", HUGE.encode())], None),
    ([(b"X-RateLimit-Limit", HUGE.encode()), (b"X-RateLimit-Remaining", b"3")],
     RateLimit(remaining=3)),
    ([(b"X-RateLimit-Reset", HUGE.encode())], None),
    ([(b"RateLimit", f"limit={HUGE}, remaining=2".encode())], RateLimit(remaining=2)),
])
def test_hostile_values_are_ignored_not_raised(
    raw: list[tuple[bytes, bytes]], expected: RateLimit | None,
) -> None:
    assert parse_rate_limit(httpx.Headers(raw), now=NOW) == expected


def test_headroom() -> None:
    assert RateLimit(limit=100, remaining=25).headroom == 0.25
    assert RateLimit(remaining=25).headroom is None


@pytest.mark.parametrize("style", ["x", "ietf", "combined", "draft", "epoch"])
async def test_captured_on_every_step(style: str, api_server: UvicornThread,
                                      make_rt: MakeRuntime) -> None:
    probe = http_probe(step(f"/ratelimit?style={style}&remaining=9", name="one"),
                       step(f"/ratelimit?style={style}&remaining=8", name="two"))
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure
    seen = [s.rate_limit for s in attempt.steps]
    assert [(r.limit, r.remaining) for r in seen if r] == [(100, 9), (100, 8)]
    reset = seen[0].reset_s if seen[0] else None
    assert reset is not None and 0 < reset <= 30
