"""One message-queue round trip, timed as three steps: `connect` (connection, login and the
broker-side set-up; also the `connect` phase), `publish` (until the broker acknowledges the
message: the publish-ack latency) and `receive` (from the acknowledgement until that same message
is back). The end-to-end latency, publish → message back, is the `receive` step's `ttfb` phase
(the reply's first byte, as for the tcp kind). The steps follow each other, so the run's
"time per step" adds up to the attempt.

A kind supplies an `Exchange` (its client calls) and a `Classify` for its client's exceptions
(docs/architecture.md, Probe kinds); what neither names is classified by probes/classify.py.

| outcome                                        | category     | reason               |
|------------------------------------------------|--------------|----------------------|
| no connection within `connect_timeout`         | timeout      | connect_timeout      |
| no acknowledgement within `connect_timeout`    | timeout      | publish_timeout      |
| the message not back within `receive_timeout`  | timeout      | message_not_received |
| refused, reset, closed                         | connection   | refused, reset, …    |
| the kind's own outcomes (bad credentials, unroutable, nacked, …) | as the kind says | |
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from time import perf_counter
from typing import Protocol, TypeVar

from core.errors import exception_chain
from core.types import format_duration
from probes.classify import classify_exception
from probes.result import Attempt, Category, Failure, StepResult, StepStatus

CONNECT, PUBLISH, RECEIVE = "connect", "publish", "receive"
T = TypeVar("T")
CLOSE_WITHIN = 2.0  # seconds for the clean-up after the round trip (errors there are ignored)

# A kind's own mapping of one exception (walked along its causes) to a failure; None: not its.
Classify = Callable[[BaseException], Failure | None]


class BrokerFailure(Exception):
    """An outcome the exchange recognised itself (unroutable, nacked, …)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class Exchange(Protocol):
    """A kind's client calls for one round trip (each bounded by the round trip, not itself)."""

    async def connect(self) -> None:
        """Connect, log in, and set up what receiving needs (a queue, a subscription)."""

    async def publish(self) -> None:
        """Send this run's message; return once the broker acknowledged it."""

    async def receive(self) -> float:
        """Wait for this run's message; return `perf_counter()` at its arrival."""

    async def close(self) -> None:
        """Clean up (acknowledge, delete what the run left) and disconnect."""


def fresh_id() -> str:
    """The id a run's message carries, new for every attempt."""
    return uuid.uuid4().hex


def payload(message_id: str) -> bytes:
    return f"seamwatch round trip {message_id}".encode()


def connection_failure(exc: BaseException) -> Failure:
    """A client library's own connection error: what its causes say (refused, reset, TLS…), or
    else a protocol error with its text (never `internal`: the broker or the link misbehaved)."""
    found = classify_exception(exc)
    if found.category is not Category.INTERNAL:
        return found
    text = str(exc).strip() or type(exc).__name__
    return Failure(Category.CONNECTION, "protocol_error", f"{type(exc).__name__}: {text}")


def _classified(exc: BaseException, classify: Classify) -> Failure:
    if isinstance(exc, BrokerFailure):
        return exc.failure
    for inner in exception_chain(exc):
        found = classify(inner)
        if found is not None:
            return found
    return classify_exception(exc)


class _Stopped(Exception):
    """A step failed (its failure is recorded): the round trip stops."""


class _Steps:
    def __init__(self, into: Attempt, classify: Classify) -> None:
        self.attempt = into
        self.classify = classify

    async def run(self, name: str, call: Callable[[], Awaitable[T]], within: float,
                  on_timeout: Failure) -> tuple[StepResult, T]:
        """Run step `name` (recorded as it starts) within `within` seconds; on failure record it
        on the step and the attempt and raise _Stopped."""
        step = StepResult(name, StepStatus.FAILED)
        self.attempt.steps.append(step)
        started = perf_counter()
        failure: Failure
        try:
            async with asyncio.timeout(within):
                value = await call()
        except TimeoutError:
            failure = on_timeout
        except Exception as exc:
            failure = _classified(exc, self.classify)
        else:
            step.latency_ms = (perf_counter() - started) * 1000.0
            step.status = StepStatus.OK
            return step, value
        step.latency_ms = (perf_counter() - started) * 1000.0
        step.failure = self.attempt.failure = failure
        self.attempt.failed_step = name
        raise _Stopped


async def round_trip(exchange: Exchange, into: Attempt, *, where: str, connect_within: float,
                     receive_within: float, classify: Classify) -> Attempt:
    """Run the three steps into `into` (so that a deadline still shows the step it cut short)
    and clean up whatever happened."""
    steps = _Steps(into, classify)
    try:
        step, _ = await steps.run(CONNECT, exchange.connect, connect_within, Failure(
            Category.TIMEOUT, "connect_timeout",
            f"no connection to {where} within {format_duration(connect_within)}"))
        step.phases.connect_ms = step.latency_ms
        published = perf_counter()
        await steps.run(PUBLISH, exchange.publish, connect_within, Failure(
            Category.TIMEOUT, "publish_timeout",
            f"{where} did not acknowledge the message within {format_duration(connect_within)}"))
        step, arrived = await steps.run(RECEIVE, exchange.receive, receive_within, Failure(
            Category.TIMEOUT, "message_not_received",
            f"the message did not come back from {where} within "
            f"{format_duration(receive_within)}"))
        step.phases.ttfb_ms = (arrived - published) * 1000.0
    except _Stopped:
        pass
    finally:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_WITHIN):
                await exchange.close()
    return steps.attempt


def tls_context(base_dir: Path, ca_file: str | None) -> ssl.SSLContext:
    """The client TLS context trusting `ca_file` (relative to the config) or the system's store;
    a CA file that cannot be read is the probe's `config` failure."""
    from probes.http.client import resolve_path, ssl_context

    try:
        return ssl_context(resolve_path(base_dir, ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise BrokerFailure(Failure(Category.CONFIG, "ca_file_unreadable",
                                    f"ca_file {ca_file}: {exc}")) from None
