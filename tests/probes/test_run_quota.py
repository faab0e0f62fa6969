"""The `rate_limit_forecast` degraded rule end to end: a real server whose quota drains across
runs (GitHub-style headers) makes the runs `degraded` before the first 429."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import formatdate

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from probes.result import Category, RunStatus
from probes.run import RunPolicy, run_probe
from tests.probes.conftest import MakeRuntime, http_probe, step
from tests.support.servers import UvicornThread


class DrainingQuota:
    """A quota of `limit` requests per hour that our probe and `others` spend: each call costs
    one, plus `others` for the other clients of the API; exhausted -> 429 with Retry-After."""

    def __init__(self, limit: int, others: int) -> None:
        self.limit, self.others = limit, others
        self.remaining = limit
        self.reset_at = int(time.time()) + 3600
        self.app = Starlette(routes=[Route("/search", self.search)])

    async def search(self, request: Request) -> Response:
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Resource": "search",
                   "X-RateLimit-Reset": str(self.reset_at),
                   "Date": formatdate(time.time(), usegmt=True)}
        if self.remaining == 0:
            return JSONResponse({"message": "API rate limit exceeded"}, status_code=429,
                                headers={**headers, "X-RateLimit-Remaining": "0",
                                         "Retry-After": str(self.reset_at - int(time.time()))})
        self.remaining = max(0, self.remaining - 1 - self.others)
        return JSONResponse({"items": []},
                            headers={**headers, "X-RateLimit-Remaining": str(self.remaining)})


@pytest.fixture
def quota() -> Iterator[tuple[DrainingQuota, str]]:
    server = DrainingQuota(limit=40, others=2)
    with UvicornThread(server.app) as running:
        yield server, running.url


FORECAST = RunPolicy(timeout_s=10, retries=0, rate_limit_forecast_s=15 * 60)


async def test_forecast_degrades_before_the_first_429(
    quota: tuple[DrainingQuota, str], make_rt: MakeRuntime,
) -> None:
    _, url = quota
    rt = make_rt(url)
    probe = http_probe(step("/search"))
    results = [await run_probe(rt, probe, FORECAST) for _ in range(16)]
    statuses = [r.status for r in results]
    assert RunStatus.FAILED in statuses and RunStatus.DEGRADED in statuses, statuses
    first_degraded = statuses.index(RunStatus.DEGRADED)
    first_429 = statuses.index(RunStatus.FAILED)
    assert statuses[:2] == [RunStatus.OK, RunStatus.OK]  # fewer than 3 samples: no forecast
    assert 2 <= first_degraded < first_429
    reason = results[first_degraded].degraded_reason or ""
    assert reason.startswith("rate-limit quota 'search' predicted to run out in "), reason
    assert ", before it resets in " in reason
    failure = results[first_429].failure
    assert failure is not None and failure.category is Category.RATE_LIMITED
    forecast = rt.quota.forecast("search")
    assert forecast is not None and forecast.own_share == pytest.approx(1 / 3, rel=0.1)


async def test_without_the_rule_nothing_is_forecast(
    quota: tuple[DrainingQuota, str], make_rt: MakeRuntime,
) -> None:
    _, url = quota
    rt = make_rt(url)
    plain = RunPolicy(timeout_s=10, retries=0)
    results = [await run_probe(rt, http_probe(step("/search")), plain) for _ in range(6)]
    assert {r.status for r in results} == {RunStatus.OK}
    assert rt.quota.forecast("search") is None
