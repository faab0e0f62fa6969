"""The keys the broker kinds share (probes/kinds/broker.py): where the broker is and who logs in."""

from __future__ import annotations

from typing import Any

import aiomqtt
import aiormq.exceptions
import nats.errors
import pytest
import redis.exceptions
from pydantic import ValidationError

from probes.kinds import amqp as amqp_kind
from probes.kinds import mqtt as mqtt_kind
from probes.kinds import nats as nats_kind
from probes.kinds import redis as redis_kind
from probes.kinds.amqp import AmqpProbe
from probes.kinds.broker import BrokerProbe, Endpoint
from probes.kinds.mqtt import MqttProbe
from probes.kinds.nats import NatsProbe
from probes.kinds.redis import RedisProbe
from tests.probes.conftest import AttemptOf
from tests.support.brokers import outcome

KINDS: dict[str, type[BrokerProbe]] = {
    "amqp": AmqpProbe, "redis": RedisProbe, "nats": NatsProbe, "mqtt": MqttProbe}


def _probe(kind: str, **keys: Any) -> BrokerProbe:
    return KINDS[kind].model_validate({"name": "p", "type": kind, **keys})


@pytest.mark.parametrize(("kind", "keys", "expected"), [
    ("amqp", {"url": "amqp://127.0.0.1"}, Endpoint("127.0.0.1", 5672, False, None, None, "")),
    ("amqp", {"url": "amqps://u:p%40ss@mq.test/orders"},
     Endpoint("mq.test", 5671, True, "u", "p@ss", "orders")),
    ("amqp", {"url": "amqp://u:old@mq.test:5673/", "username": "v", "password": "new"},
     Endpoint("mq.test", 5673, False, "v", "new", "")),
    ("redis", {"url": "redis://:pw@[::1]:6380/2"}, Endpoint("::1", 6380, False, None, "pw", "2")),
    ("redis", {"host": "cache.test", "tls": True}, Endpoint("cache.test", 6379, True, None, None,
                                                            "")),
    ("nats", {"url": "tls://nats.test"}, Endpoint("nats.test", 4222, True, None, None, "")),
    ("mqtt", {"url": "mqtts://broker.test"}, Endpoint("broker.test", 8883, True, None, None, "")),
    ("mqtt", {"host": "broker.test", "port": 1884}, Endpoint("broker.test", 1884, False, None,
                                                             None, "")),
])
def test_endpoint(kind: str, keys: dict[str, Any], expected: Endpoint) -> None:
    assert _probe(kind, **keys).endpoint() == expected


def test_where_shows_host_and_port_only() -> None:
    probe = _probe("amqp", url="amqp://user:hunter2-secret@mq.test/")
    assert probe.endpoint().where == "mq.test:5672"
    assert _probe("redis", url="redis://[::1]").endpoint().where == "[::1]:6379"


@pytest.mark.parametrize(("kind", "keys", "message"), [
    ("amqp", {}, "give either `url` (amqp:// or amqps://…) or `host`"),
    ("redis", {"url": "redis://h", "host": "h"}, "not both nor neither"),
    ("redis", {"url": "http://h"}, "`url` must start with redis:// or rediss://, got http://"),
    ("mqtt", {"url": "mqtt://"}, "`url` names no host"),
    ("nats", {"url": "nats://h:99999"}, "`url` is not a valid URL"),
])
def test_bad_addresses(kind: str, keys: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _probe(kind, **keys)


def test_waits_default_to_half_the_timeout() -> None:
    probe = _probe("redis", url="redis://h", timeout="6s")
    assert (probe.connect_within, probe.receive_within) == (3.0, 3.0)
    probe = _probe("redis", url="redis://h", connect_timeout="1s", receive_timeout="2s")
    assert (probe.connect_within, probe.receive_within) == (1.0, 2.0)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_closed_port_is_a_connection_failure(kind: str, closed_port: int,
                                                     attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(kind, host="127.0.0.1", port=closed_port, timeout="4s"))
    assert outcome(attempt) == ("connection", "refused", "connect"), attempt.failure
    assert [s.name for s in attempt.steps] == ["connect"]


def _caused(error: BaseException, cause: BaseException) -> BaseException:
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(("kind", "error", "expected"), [
    ("amqp", lambda: aiormq.exceptions.AMQPError("garbled frame"), "protocol_error"),
    ("amqp", lambda: _caused(aiormq.exceptions.AMQPConnectionError("lost"),
                             ConnectionResetError()), "reset"),
    ("redis", lambda: redis.exceptions.InvalidResponse("Protocol error"), "protocol_error"),
    ("nats", lambda: nats.errors.UnexpectedEOF(), "protocol_error"),
    ("mqtt", lambda: aiomqtt.MqttError("Disconnected during message iteration"),
     "protocol_error"),
])
def test_a_client_libraries_own_connection_errors_are_connection_failures(
        kind: str, error: Any, expected: str) -> None:
    classify = {"amqp": amqp_kind.classify, "redis": redis_kind.classify,
                "nats": nats_kind.classify, "mqtt": mqtt_kind.classify}[kind]
    failure = classify(error())
    assert failure is not None and (failure.category, failure.reason) == ("connection", expected)
