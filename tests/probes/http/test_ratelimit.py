"""Rate-limit header parsing (table) and capture from a real server."""

from __future__ import annotations

from email.utils import formatdate

import httpx
import pytest

from probes.http.exchange import run_http_attempt
from probes.http.ratelimit import parse_rate_limit, parse_rate_limits, parse_retry_after
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
     RateLimit(limit=100, remaining=50, reset_s=30.0, policy="default")),
    # IETF draft -10: several named policies; the tightest is the step's
    ({"RateLimit": '"burst";r=9;t=1, "day";r=100;t=3600',
      "RateLimit-Policy": '"burst";q=10;w=1, "day";q=1000;w=86400'},
     RateLimit(limit=1000, remaining=100, reset_s=3600.0, policy="day")),
    ({"RateLimit": 'day;r=5;t=60'},  # a token, not a string, and no policy header
     RateLimit(remaining=5, reset_s=60.0, policy="day")),
    ({"RateLimit": '"day";r=5;t=', "X-RateLimit-Remaining": "4"},  # malformed field ignored
     RateLimit(remaining=4)),
    # GitHub: epoch reset, resource names the policy, remaining may be derived from -Used
    ({"x-ratelimit-limit": "5000", "x-ratelimit-used": "12", "x-ratelimit-resource": "search",
      "x-ratelimit-reset": str(int(NOW) + 60)},
     RateLimit(limit=5000, remaining=4988, reset_s=60.0, policy="search")),
    # epoch resets count from the response's Date, not the local clock (server 100 s ahead)
    ({"x-ratelimit-limit": "10", "x-ratelimit-remaining": "1",
      "x-ratelimit-reset": str(int(NOW) + 130), "date": formatdate(NOW + 100, usegmt=True)},
     RateLimit(limit=10, remaining=1, reset_s=30.0)),
    # X/Twitter
    ({"x-rate-limit-limit": "900", "x-rate-limit-remaining": "899",
      "x-rate-limit-reset": str(int(NOW) + 900)},
     RateLimit(limit=900, remaining=899, reset_s=900.0)),
    # Shopify: used/limit
    ({"X-Shopify-Shop-Api-Call-Limit": "32/40"}, RateLimit(limit=40, remaining=8)),
    ({"X-Shopify-Shop-Api-Call-Limit": "lots/40"}, None),
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
    ([(b"RateLimit", f"limit={HUGE}, remaining=2".encode())], None),  # malformed: ignored
])
def test_hostile_values_are_ignored_not_raised(
    raw: list[tuple[bytes, bytes]], expected: RateLimit | None,
) -> None:
    assert parse_rate_limit(httpx.Headers(raw), now=NOW) == expected


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, RateLimit(remaining=0)),
    ({"Retry-After": "30"}, RateLimit(remaining=0, reset_s=30.0, retry_after_s=30.0)),
    ({"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "3", "Retry-After": "20"},
     RateLimit(limit=60, remaining=0, reset_s=20.0, retry_after_s=20.0)),
    ({"RateLimit": '"burst";r=2;t=1, "day";r=50;t=600', "Retry-After": "1",
      "RateLimit-Policy": '"burst";q=10;w=1, "day";q=1000;w=86400'},
     RateLimit(limit=10, remaining=0, reset_s=1.0, retry_after_s=1.0, policy="burst")),
    ({"RateLimit": '"burst";r=2;t=1, "day";r=50;t=600',  # no Retry-After: the tightest
      "RateLimit-Policy": '"burst";q=10;w=1, "day";q=1000;w=86400'},
     RateLimit(limit=1000, remaining=0, reset_s=600.0, policy="day")),
])
def test_a_429_is_exhausted_now(headers: dict[str, str], expected: RateLimit) -> None:
    assert parse_rate_limit(httpx.Headers(headers), status=429, now=NOW) == expected


def test_every_named_policy_is_kept_tightest_first() -> None:
    samples = parse_rate_limits(httpx.Headers({
        "RateLimit": '"burst";r=9;t=1, "day";r=100;t=3600',
        "RateLimit-Policy": '"burst";q=10;w=1, "day";q=1000;w=86400',
    }), now=NOW)
    assert [(s.policy, s.remaining) for s in samples] == [("day", 100), ("burst", 9)]


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
    # counted from the response's Date, which has whole seconds (and uvicorn refreshes it once
    # a second), so an epoch reset 30 s ahead reads as up to 31 s
    assert reset is not None and 0 < reset <= 31
