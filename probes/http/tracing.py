"""Per-phase timings from httpcore's `trace` request extension.

httpcore calls the trace callback at the start and end of each phase of an exchange
(`connection.connect_tcp.started`, `connection.start_tls.complete`,
`http11.send_request_headers.started`, `http11.receive_response_headers.complete`, …). The
callback only stores `perf_counter()` under the event name (one dict store per event, ~12 events a
request); the phases are computed once, after the exchange. DNS resolution happens inside
`connect_tcp` in httpcore, so it is part of `connect_ms` and `dns_ms` stays None.

With redirects the same tracer sees every hop and later hops overwrite earlier marks, so the
phases describe the last hop (plus its connect phase when that hop opened a new connection).
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from probes.result import PhaseTimings

_CONNECT = ("connection.connect_tcp.started", "connection.connect_tcp.complete")
_TLS = ("connection.start_tls.started", "connection.start_tls.complete")
_TTFB = ("http11.send_request_headers.started", "http11.receive_response_headers.complete")


class PhaseTracer:
    """Pass as `extensions={"trace": tracer}`; read `phases()` after the body was read."""

    __slots__ = ("body_end", "body_start", "marks")

    def __init__(self) -> None:
        self.marks: dict[str, float] = {}
        self.body_start: float | None = None
        self.body_end: float | None = None

    async def __call__(self, event: str, info: dict[str, Any]) -> None:
        self.marks[event] = perf_counter()

    @property
    def new_tls_connection(self) -> bool:
        """True when this exchange performed a TLS handshake (not a reused connection)."""
        return _TLS[1] in self.marks

    def _span(self, names: tuple[str, str]) -> float | None:
        start = self.marks.get(names[0])
        end = self.marks.get(names[1])
        if start is None or end is None or end < start:
            return None
        return (end - start) * 1000.0

    def phases(self) -> PhaseTimings:
        transfer = None
        if self.body_start is not None and self.body_end is not None:
            transfer = (self.body_end - self.body_start) * 1000.0
        return PhaseTimings(
            connect_ms=self._span(_CONNECT),
            tls_ms=self._span(_TLS),
            ttfb_ms=self._span(_TTFB),
            transfer_ms=transfer,
        )
