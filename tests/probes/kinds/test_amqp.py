"""The amqp probe kind against the machine's RabbitMQ (127.0.0.1:5672, guest/guest)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import aiormq.exceptions
import pytest
from aio_pika.abc import AbstractChannel

from probes.classify import classify_exception
from probes.kinds.amqp import AmqpProbe, classify
from probes.result import StepStatus
from tests.probes.conftest import AttemptOf
from tests.support.brokers import HOST, outcome, shared


def _probe(port: int, **options: Any) -> AmqpProbe:
    return AmqpProbe.model_validate({"name": "queue", "type": "amqp",
                                     "url": f"amqp://guest:guest@{HOST}:{port}/",
                                     "timeout": "5s", **options})


@pytest.fixture
def rabbit() -> int:
    return shared("rabbitmq")


@pytest.fixture
async def admin(rabbit: int) -> AsyncIterator[AbstractChannel]:
    """A channel for the test's own topology (its names are unique, deleted after)."""
    connection = await aio_pika.connect(host=HOST, port=rabbit, timeout=5)
    async with connection:
        yield await connection.channel()


def _unique(what: str) -> str:
    return f"seamwatch-test-{what}-{uuid.uuid4().hex[:8]}"


async def test_round_trip_through_a_temporary_queue(rabbit: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(rabbit))
    assert attempt.failure is None, attempt.failure
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("publish", StepStatus.OK), ("receive", StepStatus.OK)]
    connect, _publish, receive = attempt.steps
    assert connect.phases.connect_ms is not None and receive.phases.ttfb_ms is not None


async def test_round_trip_through_a_named_queue_drops_leftovers(
        rabbit: int, admin: AbstractChannel, attempt_of: AttemptOf) -> None:
    exchange = await admin.declare_exchange(_unique("ex"), aio_pika.ExchangeType.DIRECT)
    queue = await admin.declare_queue(_unique("q"))
    await queue.bind(exchange, "probe")
    await exchange.publish(aio_pika.Message(b"left over", message_id="old"), "probe")
    try:
        attempt = await attempt_of(_probe(rabbit, exchange=exchange.name, routing_key="probe",
                                          queue=queue.name))
        assert attempt.failure is None, attempt.failure
        assert await queue.get(fail=False) is None  # the leftover and the probe's are gone
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()


async def test_a_temporary_queue_is_bound_to_a_given_exchange(
        rabbit: int, admin: AbstractChannel, attempt_of: AttemptOf) -> None:
    exchange = await admin.declare_exchange(_unique("ex"), aio_pika.ExchangeType.TOPIC)
    try:
        attempt = await attempt_of(_probe(rabbit, exchange=exchange.name,
                                          routing_key="probe.health"))
        assert attempt.failure is None, attempt.failure
    finally:
        await exchange.delete()


async def test_a_message_routed_elsewhere_never_comes_back(
        rabbit: int, admin: AbstractChannel, attempt_of: AttemptOf) -> None:
    exchange = await admin.declare_exchange(_unique("ex"), aio_pika.ExchangeType.DIRECT)
    other = await admin.declare_queue(_unique("other"))
    mine = await admin.declare_queue(_unique("mine"))
    await other.bind(exchange, "probe")  # the consumer of `probe` is another queue
    try:
        attempt = await attempt_of(_probe(rabbit, exchange=exchange.name, routing_key="probe",
                                          queue=mine.name, receive_timeout="500ms"))
        assert outcome(attempt) == ("timeout", "message_not_received", "receive")
        assert attempt.steps[1].status is StepStatus.OK  # the broker did confirm it
    finally:
        for queue in (other, mine):
            await queue.delete(if_unused=False, if_empty=False)
        await exchange.delete()


async def test_refusals(rabbit: int, admin: AbstractChannel, attempt_of: AttemptOf) -> None:
    full = await admin.declare_queue(_unique("full"), arguments={
        "x-max-length": 0, "x-overflow": "reject-publish"})
    alone = await admin.declare_queue(_unique("alone"))
    cases: list[tuple[dict[str, Any], tuple[str, str, str]]] = [
        ({"url": f"amqp://guest:wrong-password@{HOST}:{rabbit}/"},
         ("auth", "access_refused", "connect")),
        ({"url": f"amqp://guest:guest@{HOST}:{rabbit}/no-such-vhost"},
         ("auth", "vhost_refused", "connect")),
        ({"queue": _unique("missing")}, ("client_error", "not_found", "connect")),
        ({"queue": full.name}, ("server_error", "nacked", "publish")),
        ({"queue": alone.name, "exchange": "amq.direct", "routing_key": _unique("nobody")},
         ("server_error", "unroutable", "publish")),
    ]
    try:
        for options, expected in cases:
            attempt = await attempt_of(_probe(rabbit, **options))
            assert outcome(attempt) == expected, (options, attempt.failure)
    finally:
        for queue in (full, alone):
            await queue.delete(if_unused=False, if_empty=False)


def test_an_auth_error_that_is_a_connection_error_lands_in_auth() -> None:
    error = aiormq.exceptions.ProbableAuthenticationError("ACCESS_REFUSED - Login was refused")
    assert isinstance(error, ConnectionError)
    assert classify_exception(error).category == "connection"  # what the class alone says
    assert (classify(error) or classify_exception(error)).category == "auth"

