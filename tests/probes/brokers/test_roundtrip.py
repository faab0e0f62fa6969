"""The round trip's own rules, with exchanges written here (the kinds' tests run it against the
real brokers): how a step's outcome is recorded, the clean-up, and what a deadline shows."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from probes.brokers.roundtrip import BrokerFailure, round_trip
from probes.kinds.broker import hung_step
from probes.kinds.redis import RedisProbe
from probes.result import Attempt, Category, Failure, StepStatus


class Scripted:
    """An exchange whose steps pass, hang or raise as told."""

    def __init__(self, **behaviour: BaseException | str) -> None:
        self.behaviour = behaviour
        self.closed = False

    async def _step(self, name: str) -> None:
        what = self.behaviour.get(name)
        if what == "hang":
            await asyncio.Event().wait()
        if isinstance(what, BaseException):
            raise what

    async def connect(self) -> None:
        await self._step("connect")

    async def publish(self) -> None:
        await self._step("publish")

    async def receive(self) -> float:
        await self._step("receive")
        return 0.0

    async def close(self) -> None:
        self.closed = True


def _never(exc: BaseException) -> Failure | None:
    return None


async def _run(exchange: Scripted, into: Attempt | None = None) -> Attempt:
    return await round_trip(exchange, into or Attempt(), where="broker:1", connect_within=0.2,
                            receive_within=0.2, classify=_never)


@pytest.mark.parametrize(("behaviour", "expected"), [
    ({"connect": "hang"}, ("connect", "timeout", "connect_timeout")),
    ({"publish": "hang"}, ("publish", "timeout", "publish_timeout")),
    ({"receive": "hang"}, ("receive", "timeout", "message_not_received")),
    ({"connect": ConnectionRefusedError()}, ("connect", "connection", "refused")),
    ({"publish": BrokerFailure(Failure(Category.SERVER_ERROR, "nacked", "no"))},
     ("publish", "server_error", "nacked")),
])
async def test_a_failing_step_stops_the_round_trip_and_it_is_cleaned_up(
        behaviour: dict[str, BaseException | str], expected: tuple[str, str, str]) -> None:
    exchange = Scripted(**behaviour)
    attempt = await _run(exchange)
    assert attempt.failure is not None
    assert (attempt.failed_step, attempt.failure.category, attempt.failure.reason) == expected
    assert attempt.steps[-1].name == expected[0]
    assert all(s.status is StepStatus.OK for s in attempt.steps[:-1])
    assert exchange.closed


async def test_a_passing_round_trip_records_three_steps() -> None:
    attempt = await _run(Scripted())
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("publish", StepStatus.OK), ("receive", StepStatus.OK)]
    assert attempt.steps[0].phases.connect_ms is not None
    assert attempt.steps[2].phases.ttfb_ms is not None


async def test_the_deadline_names_the_step_it_cut_short() -> None:
    probe = RedisProbe.model_validate({"name": "p", "type": "redis", "url": "redis://h"})
    into, exchange = Attempt(), Scripted(publish="hang")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await round_trip(exchange, into, where="x", connect_within=5, receive_within=5,
                             classify=_never)
    assert hung_step(probe, into) == "publish"
    assert exchange.closed


def test_loading_the_kinds_imports_no_broker_client() -> None:
    clients = ("aio_pika", "aiormq", "redis", "nats", "aiomqtt", "paho")
    code = ("import sys, probes.registry; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {clients!r}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"
