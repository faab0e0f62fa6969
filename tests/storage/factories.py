"""Builders for ProbeResults used by the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from probes.result import (
    Category,
    Failure,
    PhaseTimings,
    ProbeResult,
    RateLimit,
    RunStatus,
    StepResult,
    StepStatus,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def result(
    integration: str = "payments",
    probe: str = "list",
    *,
    at: datetime = T0,
    latency_ms: float = 100.0,
    status: RunStatus = RunStatus.OK,
    category: Category | None = None,
    steps: int = 1,
    location: str = "local",
) -> ProbeResult:
    failure = None
    if status is RunStatus.FAILED:
        failure = Failure(category or Category.SERVER_ERROR, "http_500", "server said 500")
    step_list = [
        StepResult(
            name=f"step-{i}",
            status=StepStatus.FAILED if failure and i == steps - 1 else StepStatus.OK,
            latency_ms=latency_ms / steps,
            http_status=500 if failure and i == steps - 1 else 200,
            phases=PhaseTimings(
                connect_ms=1.5, tls_ms=3.25, ttfb_ms=latency_ms / steps - 5, transfer_ms=0.5
            ),
            rate_limit=RateLimit(limit=100, remaining=40, reset_s=30.0) if i == 0 else None,
            failure=failure if i == steps - 1 else None,
        )
        for i in range(steps)
    ]
    return ProbeResult(
        integration=integration,
        probe=probe,
        kind="http",
        status=status,
        started_at=at,
        latency_ms=latency_ms,
        steps=step_list,
        failure=failure,
        failed_step=step_list[-1].name if failure else None,
        location=location,
        degraded_reason="slow" if status is RunStatus.DEGRADED else None,
    )


def many(n: int, probes: int = 3, start: datetime = T0) -> list[ProbeResult]:
    return [
        result(
            probe=f"p{i % probes}",
            at=start + timedelta(seconds=i),
            latency_ms=10 + i % 50,
            steps=1 + i % 3,
        )
        for i in range(n)
    ]
