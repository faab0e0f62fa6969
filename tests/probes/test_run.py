"""The run around one attempt (probes/run.py): retries with backoff, the run's deadline, and the
rules that make a passing run `degraded` — against the real test API on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from probes.result import Category, RunStatus, StepStatus
from probes.run import RunPolicy, run_probe
from seamwatch.config import load_config
from tests.probes.conftest import MakeRuntime, http_probe, policy, step
from tests.support.servers import UvicornThread


class Flaky:
    """Fails the first `failures` calls with 500, then answers 200."""

    def __init__(self) -> None:
        self.failures = 0
        self.calls = 0
        self.app = Starlette(routes=[Route("/flaky", self.flaky)])

    async def flaky(self, request: Request) -> Response:
        self.calls += 1
        if self.calls <= self.failures:
            return JSONResponse({"error": "boom"}, status_code=500)
        return JSONResponse({"ok": True})


@pytest.fixture(scope="module")
def flaky_server() -> Iterator[tuple[Flaky, str]]:
    flaky = Flaky()
    with UvicornThread(flaky.app) as server:
        yield flaky, server.url


class RecordingSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


async def test_retries_back_off_exponentially_then_fail(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    sleep = RecordingSleep()
    probe = http_probe(step("/status/500"), retries=3)
    result = await run_probe(make_rt(api_server.url), probe, policy(probe), sleep=sleep)
    assert result.status is RunStatus.FAILED and result.category is Category.SERVER_ERROR
    assert result.attempts == 4
    assert sleep.waits == [1.0, 2.0, 4.0]


async def test_passing_only_on_retry_is_degraded(
    make_rt: MakeRuntime, flaky_server: tuple[Flaky, str]
) -> None:
    flaky, url = flaky_server
    flaky.calls, flaky.failures = 0, 1
    probe = http_probe(step("/flaky"), retries=2)
    result = await run_probe(make_rt(url), probe, policy(probe), sleep=RecordingSleep())
    assert result.status is RunStatus.DEGRADED
    assert result.attempts == 2 and result.failure is None
    assert result.degraded_reason == "passed on attempt 2"


async def test_config_failures_are_not_retried(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    sleep = RecordingSleep()
    probe = http_probe(step("/v1/items/{{ nowhere }}"), retries=3)
    result = await run_probe(make_rt(api_server.url), probe, policy(probe), sleep=sleep)
    assert result.category is Category.CONFIG and result.reason == "unknown_variable"
    assert result.attempts == 1 and sleep.waits == []


async def test_slower_than_degraded_latency_is_degraded(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    probe = http_probe(step("/delay", params={"s": "0.05"}))
    slow = RunPolicy(timeout_s=10, retries=0, degraded_latency_s=0.001)
    result = await run_probe(make_rt(api_server.url), probe, slow)
    assert result.status is RunStatus.DEGRADED
    assert result.degraded_reason is not None and result.degraded_reason.startswith(
        "slower than 1ms")


async def test_low_rate_limit_headroom_is_degraded(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    probe = http_probe(step("/ratelimit", params={"remaining": "5"}))
    low = RunPolicy(timeout_s=10, retries=0, min_rate_limit_headroom=0.2)
    result = await run_probe(make_rt(api_server.url), probe, low)
    assert result.status is RunStatus.DEGRADED
    assert result.degraded_reason == "rate-limit headroom 5% under 20%"
    plenty = await run_probe(
        make_rt(api_server.url), http_probe(step("/ratelimit", params={"remaining": "90"})), low,
    )
    assert plenty.status is RunStatus.OK and plenty.degraded_reason is None


async def test_deadline_names_the_step_that_hung(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    probe = http_probe(
        step("/v1/items", name="list"),
        step("/delay", name="slow", params={"s": "30"}),
        timeout="300ms", retries=0,
    )
    result = await run_probe(make_rt(api_server.url, timeout_s=60), probe, policy(probe))
    assert result.status is RunStatus.FAILED
    assert result.category is Category.TIMEOUT and result.reason == "deadline"
    assert result.failed_step == "slow"
    assert "in step slow" in (result.message or "")
    assert [(s.name, s.status) for s in result.steps] == [
        ("list", StepStatus.OK), ("slow", StepStatus.FAILED)]
    assert result.steps[1].failure is not None
    assert result.steps[1].failure.reason == "deadline"


async def test_result_identity_and_timing_fields(
    make_rt: MakeRuntime, api_server: UvicornThread
) -> None:
    probe = http_probe(step("/v1/items"))
    result = await run_probe(make_rt(api_server.url), probe, policy(probe), location="eu-west")
    assert (result.integration, result.probe, result.kind) == ("it", "probe", "http")
    assert result.location == "eu-west"
    assert result.started_at.tzinfo is not None
    assert result.latency_ms > 0 and result.steps[0].latency_ms is not None


def test_the_policy_is_resolved_with_the_config(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text("""
defaults: {timeout: 20s, alerts: {degraded_latency: 2s}}
integrations:
  - name: shop
    base_url: https://shop.test
    auth: {type: bearer, token: tok-1234}
    retries: 3
    alerts: {min_rate_limit_headroom: 0.1}
    probes:
      - {name: orders, steps: [{name: list, path: /orders}], alerts: {degraded_latency: 500ms}}
      - name: search
        steps: [{name: find, path: /search}]
        alerts: {rate_limit_forecast: {within: 15m}}
""")
    auth, orders, search = load_config(path, environ={}).entries
    assert auth.policy == RunPolicy(timeout_s=20, retries=3, degraded_latency_s=2,
                                    min_rate_limit_headroom=0.1)
    assert orders.policy == RunPolicy(timeout_s=20, retries=3, degraded_latency_s=0.5,
                                      min_rate_limit_headroom=0.1)
    assert search.policy == RunPolicy(timeout_s=20, retries=3, degraded_latency_s=2,
                                      min_rate_limit_headroom=0.1, rate_limit_forecast_s=900)
