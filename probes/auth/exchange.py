"""One POST to a token endpoint, measured: latency, per-phase timings (httpcore trace
extension), rate-limit headers, and a cap on the body read. Raises httpx errors unchanged."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from probes.result import PhaseTimings, RateLimit

MAX_TOKEN_BODY = 256 * 1024  # a token response is a few hundred bytes


class PhaseTracer:
    """httpcore `trace` callback turning started/complete events into PhaseTimings."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}
        self.phases = PhaseTimings()

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        _, _, rest = event.partition(".")  # "http11.receive_response_headers.started"
        phase, _, edge = rest.rpartition(".")
        if edge == "started":
            self._started[phase] = now
            return
        if edge != "complete" or phase not in self._started:
            return
        ms = (now - self._started[phase]) * 1000.0
        if phase == "connect_tcp":
            self.phases.connect_ms = ms
        elif phase == "start_tls":
            self.phases.tls_ms = ms
        elif phase == "receive_response_headers":
            sent = self._started.get("send_request_headers", self._started[phase])
            self.phases.ttfb_ms = (now - sent) * 1000.0
        elif phase == "receive_response_body":
            self.phases.transfer_ms = ms


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip().split(",")[0].split(";")[0])
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    seconds = _number(value)
    if seconds is not None or value is None:
        return seconds
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def parse_rate_limit(headers: httpx.Headers) -> RateLimit | None:
    """X-RateLimit-* / RateLimit-* / Retry-After as the server sent them, or None if absent."""

    def pick(name: str) -> str | None:
        return headers.get(f"x-ratelimit-{name}") or headers.get(f"ratelimit-{name}")

    limit, remaining = _number(pick("limit")), _number(pick("remaining"))
    reset = _number(pick("reset"))
    if reset is not None and reset > 1_000_000_000:  # an epoch time, not a delta
        reset = max(0.0, reset - time.time())
    result = RateLimit(
        limit=None if limit is None else int(limit),
        remaining=None if remaining is None else int(remaining),
        reset_s=reset,
        retry_after_s=_retry_after(headers.get("retry-after")),
    )
    return None if result.is_empty() else result


@dataclass(slots=True)
class Exchange:
    status: int
    headers: httpx.Headers
    body: bytes
    latency_ms: float
    phases: PhaseTimings = field(default_factory=PhaseTimings)
    rate_limit: RateLimit | None = None
    truncated: bool = False


async def post_form(
    client: httpx.AsyncClient,
    url: str,
    form: dict[str, str],
    headers: dict[str, str],
    *,
    max_body: int = MAX_TOKEN_BODY,
) -> Exchange:
    tracer = PhaseTracer()
    started = time.perf_counter()
    request = client.build_request(
        "POST", url, data=form, headers=headers, extensions={"trace": tracer}
    )
    response = await client.send(request, stream=True)
    try:
        body = bytearray()
        truncated = False
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_body:
                truncated = True
                break
    finally:
        await response.aclose()
    return Exchange(
        status=response.status_code,
        headers=response.headers,
        body=bytes(body[:max_body]),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        phases=tracer.phases,
        rate_limit=parse_rate_limit(response.headers),
        truncated=truncated,
    )
