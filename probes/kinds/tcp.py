"""The `tcp` probe kind: connect, optionally send text and expect a reply containing some text.

One step, `connect`: `connect_ms` is the TCP connect, `ttfb_ms` the time from sending to the first
reply byte. The reply is read until the expected text appears, the peer closes, or 64 KiB were
read. Each phase is bounded by the probe's timeout (the run's deadline, probes/run.py, bounds it
too).
"""

from __future__ import annotations

import contextlib
from time import perf_counter
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from probes.kinds.base import ProbeCommon, ProbeKind
from probes.result import Attempt, Category, Failure, StepResult, StepStatus

if TYPE_CHECKING:
    import asyncio

    from probes.runtime import IntegrationRuntime

STEP = "connect"
MAX_REPLY = 64 * 1024


class TcpProbe(ProbeCommon):
    type: Literal["tcp"]
    host: str
    port: int = Field(ge=1, le=65535)
    send: str | None = Field(None, description="bytes to send after connecting")
    expect_contains: str | None = Field(None, description="text the reply must contain")


async def _read_until(reader: asyncio.StreamReader, needle: bytes, step: StepResult,
                      sent_at: float) -> bytes:
    reply = bytearray()
    while needle not in reply and len(reply) < MAX_REPLY:
        chunk = await reader.read(4096)
        if not chunk:
            break
        if not reply:
            step.phases.ttfb_ms = (perf_counter() - sent_at) * 1000.0
        reply += chunk
    return bytes(reply)


async def _exchange(probe: TcpProbe, step: StepResult) -> Failure | None:
    # Imported here: loading the config needs neither asyncio nor httpx (under expectations).
    import asyncio

    from probes.http.expectations import show

    t0 = perf_counter()
    try:
        async with asyncio.timeout(probe.timeout):
            reader, writer = await asyncio.open_connection(probe.host, probe.port)
    except TimeoutError:
        return Failure(Category.TIMEOUT, "connect_timeout", "connect timed out")
    step.phases.connect_ms = (perf_counter() - t0) * 1000.0
    try:
        if probe.send is None and probe.expect_contains is None:
            return None
        sent_at = perf_counter()
        if probe.send is not None:
            writer.write(probe.send.encode())
            try:
                async with asyncio.timeout(probe.timeout):
                    await writer.drain()
            except TimeoutError:
                return Failure(Category.TIMEOUT, "write_timeout", "sending timed out")
        if probe.expect_contains is None:
            return None
        needle = probe.expect_contains.encode()
        try:
            async with asyncio.timeout(probe.timeout):
                reply = await _read_until(reader, needle, step, sent_at)
        except TimeoutError:
            return Failure(Category.TIMEOUT, "read_timeout", "no expected reply before the timeout")
        if needle in reply:
            return None
        if not reply:
            return Failure(Category.CONNECTION, "closed_early", "connection closed without a reply")
        text = reply.decode("utf-8", errors="replace")  # cut after redaction (probes/run.py)
        return Failure(Category.ASSERTION, "content_mismatch",
                       f"reply does not contain {show(probe.expect_contains)}: {show(text)}")
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def attempt(rt: IntegrationRuntime, probe: TcpProbe, into: Attempt) -> Attempt:
    from probes.classify import classify_exception  # here: it pulls in httpx

    step = StepResult(STEP, StepStatus.FAILED)
    attempt = Attempt(steps=[step])
    started = perf_counter()
    try:
        failure = await _exchange(probe, step)
    except Exception as exc:
        failure = classify_exception(exc)
    step.latency_ms = (perf_counter() - started) * 1000.0
    return attempt.conclude(failure)


KIND = ProbeKind("tcp", TcpProbe, attempt)
