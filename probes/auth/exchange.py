"""One POST to a token endpoint, measured: latency, per-phase timings (probes.http.tracing),
rate-limit headers (probes.http.ratelimit), and a cap on the body read. Raises httpx errors
unchanged."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from probes.http.ratelimit import parse_rate_limit
from probes.http.tracing import PhaseTracer
from probes.result import PhaseTimings, RateLimit

MAX_TOKEN_BODY = 256 * 1024  # a token response is a few hundred bytes


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
    body = bytearray()
    truncated = False
    try:
        tracer.body_start = time.perf_counter()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_body:
                truncated = True
                break
        tracer.body_end = time.perf_counter()
    finally:
        await response.aclose()
    return Exchange(
        status=response.status_code,
        headers=response.headers,
        body=bytes(body[:max_body]),
        latency_ms=(time.perf_counter() - started) * 1000.0,
        phases=tracer.phases(),
        rate_limit=parse_rate_limit(response.headers),
        truncated=truncated,
    )
