"""One POST to a token endpoint, measured: latency, per-phase timings (probes.http.tracing),
rate-limit headers (probes.http.ratelimit), and a cap on the body read. The body is read with the
HTTP probes' capped reader (probes.http.client.read_capped), which counts DECODED bytes, so a
gzip bomb stops at the cap instead of inflating in memory. Raises httpx errors unchanged (a
Content-Encoding that does not decode is httpx.DecodingError)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from probes.http.client import read_capped
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
    try:
        tracer.body_start = time.perf_counter()
        body, truncated = await read_capped(response, max_body)
        tracer.body_end = time.perf_counter()
    finally:
        await response.aclose()
    return Exchange(
        status=response.status_code,
        headers=response.headers,
        body=body,
        latency_ms=(time.perf_counter() - started) * 1000.0,
        phases=tracer.phases(),
        rate_limit=parse_rate_limit(response.headers, status=response.status_code),
        truncated=truncated,
    )
