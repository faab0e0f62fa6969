"""Runs one probe once: dispatch to its kind (probes/registry.py), the run's deadline, retries
with backoff, and the rules that turn a passing run into `degraded`.

A run's `latency_ms` is the duration of its last attempt (what the integration cost this time),
not the wall time including retry backoff; `attempts` says how many there were.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.types import format_duration
from probes.kinds.base import ProbeCommon
from probes.quota import FORECAST_REASON, QuotaSample
from probes.registry import kind_of
from probes.result import Attempt, Category, Failure, ProbeResult, RunStatus
from probes.runtime import IntegrationRuntime

log = logging.getLogger(__name__)

# Failures a retry cannot fix: the probe as written is wrong, or seamwatch is.
_NOT_RETRYABLE = frozenset({Category.CONFIG, Category.INTERNAL})

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RunPolicy:
    """How a probe's runs are bounded and judged, resolved once with the config (its ProbeEntry):
    the probe's timeout and retries, and the degraded rules of its merged `alerts:`."""

    timeout_s: float
    retries: int
    degraded_latency_s: float | None = None
    min_rate_limit_headroom: float | None = None
    rate_limit_forecast_s: float | None = None  # degrade when a quota runs out within this
    backoff_base_s: float = 1.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based): 1s, 2s, 4s…"""
        return float(self.backoff_base_s * (2 ** (attempt - 1)))


async def _attempt_once(rt: IntegrationRuntime, probe: ProbeCommon, into: Attempt) -> Attempt:
    return await kind_of(probe).attempt(rt, probe, into)


async def _guarded_attempt(rt: IntegrationRuntime, probe: ProbeCommon, into: Attempt) -> Attempt:
    """One attempt whose unexpected exceptions become classified failures, never crashes.
    `into` collects the steps finished so far, so a deadline still shows where it hung."""
    from probes.classify import classify_exception  # here: it pulls in httpx

    try:
        return await _attempt_once(rt, probe, into)
    except (asyncio.CancelledError, TimeoutError):
        raise
    except Exception as exc:  # a transport error that escaped, or a bug
        failure = classify_exception(exc)
        if failure.category is Category.INTERNAL:
            log.warning(
                "probe %s/%s raised %s", rt.spec.name, probe.name, type(exc).__name__,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
        return Attempt(failure=failure)  # redacted with the rest of the run (run_probe)


def _hung_step(probe: ProbeCommon, cut_short: Attempt) -> str | None:
    """The step the deadline cut short, for kinds that run several steps."""
    hung_step = kind_of(probe).hung_step
    return hung_step(probe, cut_short) if hung_step is not None else None


def _quota_forecast_reason(rt: IntegrationRuntime, result: ProbeResult,
                           within_s: float) -> str | None:
    """Feed this run's rate-limit samples to the integration's quota tracker; the reason to
    degrade when one of the quotas they belong to is predicted to run out before it resets."""
    at_s = result.started_at.timestamp()
    seen: list[str] = []
    for step in result.steps:
        rl = step.rate_limit
        if rl is None or rl.remaining is None:
            continue
        policy = rl.policy or ""
        reset_at = at_s + rl.reset_s if rl.reset_s is not None else None
        rt.quota.observe(policy, QuotaSample(at_s, rl.remaining, rl.limit, reset_at))
        if policy not in seen:
            seen.append(policy)
    now_s = time.time()
    for forecast in rt.quota.forecasts(seen):
        if forecast.runs_out_within(now_s, within_s) and forecast.exhausted_at_s is not None:
            name = FORECAST_REASON + (f" {forecast.policy!r}" if forecast.policy else "")
            left = format_duration(max(0.0, forecast.exhausted_at_s - now_s))
            resets = (
                f", before it resets in {format_duration(forecast.reset_at_s - now_s)}"
                if forecast.reset_at_s is not None else ""
            )
            return f"{name} predicted to run out in {left}{resets} ({forecast.remaining} left)"
    return None


def _degraded_reason(policy: RunPolicy, attempt: Attempt, attempts: int, latency_ms: float,
                     result: ProbeResult, quota_reason: str | None) -> str | None:
    if attempt.degraded_reason:  # a critical: false step failed, or drift that degrades
        return attempt.degraded_reason
    if attempts > 1:
        return f"passed on attempt {attempts}"
    if policy.degraded_latency_s is not None and latency_ms > policy.degraded_latency_s * 1000:
        return f"slower than {format_duration(policy.degraded_latency_s)} ({latency_ms:.0f}ms)"
    if policy.min_rate_limit_headroom is not None:
        rate_limit = result.rate_limit
        headroom = rate_limit.headroom if rate_limit else None
        if headroom is not None and headroom < policy.min_rate_limit_headroom:
            return f"rate-limit headroom {headroom:.0%} under {policy.min_rate_limit_headroom:.0%}"
    return quota_reason


async def run_probe(
    rt: IntegrationRuntime,
    probe: ProbeCommon,
    policy: RunPolicy,
    *,
    location: str = "local",
    sleep: Sleep = asyncio.sleep,
) -> ProbeResult:
    """Run `probe` once (with `policy`'s retries) within `policy`'s timeout and return the
    recorded result."""
    started_at = datetime.now(UTC)
    attempts = 0
    attempt = partial = Attempt()
    in_attempt = False
    attempt_started = time.perf_counter()
    try:
        async with asyncio.timeout(policy.timeout_s):
            while True:
                attempts += 1
                attempt_started = time.perf_counter()
                partial, in_attempt = Attempt(), True
                attempt = await _guarded_attempt(rt, probe, partial)
                in_attempt = False
                failure = attempt.failure
                if failure is None or failure.category in _NOT_RETRYABLE:
                    break
                if attempts > policy.retries:
                    break
                await sleep(policy.backoff(attempts))
    except TimeoutError:
        # The deadline cut an attempt short (report the steps it finished and the one it was
        # in) or a backoff (report the previous attempt's steps).
        hung = _hung_step(probe, partial) if in_attempt else None
        where = f" in step {hung}" if hung else ""
        deadline = Failure(
            Category.TIMEOUT,
            "deadline",
            f"run exceeded its {format_duration(policy.timeout_s)} timeout{where} "
            f"(attempt {attempts})",
        )
        steps = partial.steps if in_attempt else attempt.steps
        for recorded in steps:
            if recorded.name == hung and recorded.failure is None:
                recorded.failure = deadline
        attempt = Attempt(
            steps=steps, failure=deadline,
            failed_step=hung if in_attempt else attempt.failed_step,
        )
    latency_ms = (time.perf_counter() - attempt_started) * 1000.0
    # Every kind's messages leave the run redacted whole, then cut (core/redact.py).
    for recorded in attempt.steps:
        recorded.redact(rt.redactor)
    if attempt.failure is not None:
        attempt.failure = attempt.failure.redacted(rt.redactor)
    result = ProbeResult(
        integration=rt.spec.name,
        probe=probe.name,
        kind=probe.type,
        status=RunStatus.FAILED if attempt.failure else RunStatus.OK,
        started_at=started_at,
        latency_ms=latency_ms,
        steps=attempt.steps,
        failure=attempt.failure,
        failed_step=attempt.failed_step,
        attempts=attempts,
        location=location,
        credential_ttl_s=attempt.credential_ttl_s,
        cert_days_left=attempt.cert_days_left,
        expiries=attempt.expiries,
    )
    # Every run's samples feed the forecast, failed ones (a 429) included.
    quota_reason = (
        _quota_forecast_reason(rt, result, policy.rate_limit_forecast_s)
        if policy.rate_limit_forecast_s is not None else None
    )
    if result.failure is None:
        reason = _degraded_reason(policy, attempt, attempts, latency_ms, result, quota_reason)
        if reason:
            result.status = RunStatus.DEGRADED
            result.degraded_reason = reason
    return result
