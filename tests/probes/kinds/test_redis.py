"""The redis probe kind against the machine's Redis (127.0.0.1:6379) and, for authentication, a
redis-server of the test's own with a password."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.exceptions
from redis.asyncio import Redis

from probes.classify import classify_exception
from probes.kinds.redis import RedisProbe, classify
from probes.result import StepStatus
from tests.probes.conftest import AttemptOf
from tests.support.brokers import HOST, OwnServer, free_port, outcome, shared

PASSWORD = "redis-test-password-51c3"


def _probe(port: int, **options: Any) -> RedisProbe:
    return RedisProbe.model_validate({"name": "cache", "type": "redis",
                                      "url": f"redis://{HOST}:{port}/0", "timeout": "5s",
                                      **options})


@pytest.fixture
def redis_port() -> int:
    return shared("redis")


@pytest.fixture
async def client(redis_port: int) -> AsyncIterator[Redis]:
    async with Redis(host=HOST, port=redis_port) as found:
        yield found


@pytest.fixture
def key() -> Iterator[str]:
    yield f"seamwatch-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def locked_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A redis-server of our own that wants a password."""
    port, folder = free_port(), tmp_path_factory.mktemp("redis")
    argv = ["redis-server", "--port", str(port), "--bind", HOST, "--requirepass", PASSWORD,
            "--save", "", "--appendonly", "no", "--dir", str(folder)]
    with OwnServer(argv, port, Path(folder) / "redis.log"):
        yield port


async def test_stream_round_trip_cleans_up(redis_port: int, client: Redis, key: str,
                                           attempt_of: AttemptOf) -> None:
    try:
        attempt = await attempt_of(_probe(redis_port, key=key))
        assert attempt.failure is None, attempt.failure
        assert [(s.name, s.status) for s in attempt.steps] == [
            ("connect", StepStatus.OK), ("publish", StepStatus.OK), ("receive", StepStatus.OK)]
        assert attempt.steps[2].phases.ttfb_ms is not None
        assert await client.xlen(key) == 0
        assert (await client.xpending(key, "seamwatch"))["pending"] == 0
    finally:
        await client.delete(key)


async def test_ping_mode_round_trip_deletes_its_key(redis_port: int, client: Redis, key: str,
                                                    attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(redis_port, key=key, mode="ping"))
    assert attempt.failure is None, attempt.failure
    assert await client.keys(f"{key}*") == []


async def test_a_message_the_group_never_hands_out_times_out(
        redis_port: int, client: Redis, key: str, attempt_of: AttemptOf) -> None:
    # The group's last-delivered id lies in the future: a new entry is never handed out.
    await client.xgroup_create(key, "seamwatch", id="99999999999999-0", mkstream=True)
    try:
        attempt = await attempt_of(_probe(redis_port, key=key, receive_timeout="500ms"))
        assert outcome(attempt) == ("timeout", "message_not_received", "receive")
        assert await client.xlen(key) == 0  # the unread entry was deleted all the same
    finally:
        await client.delete(key)


async def test_a_key_of_another_type_is_a_client_error(
        redis_port: int, client: Redis, key: str, attempt_of: AttemptOf) -> None:
    await client.set(key, "a string")
    try:
        attempt = await attempt_of(_probe(redis_port, key=key))
        assert outcome(attempt)[:2] == ("client_error", "wrong_type")
    finally:
        await client.delete(key)


@pytest.mark.parametrize(("options", "expected"), [
    ({"password": "not-the-password"}, ("auth", "wrongpass", "connect")),
    ({}, ("auth", "wrongpass", "connect")),  # NOAUTH
    ({"password": PASSWORD}, None),
])
async def test_credentials(locked_redis: int, options: dict[str, Any],
                           expected: tuple[str, str, str] | None,
                           attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(locked_redis, **options))
    assert outcome(attempt) == expected, attempt.failure


def test_an_auth_error_that_is_a_connection_error_lands_in_auth() -> None:
    error = redis.exceptions.AuthenticationError("WRONGPASS invalid username-password pair")
    assert isinstance(error, redis.exceptions.ConnectionError)
    failure = classify(error)
    assert failure is not None and (failure.category, failure.reason) == ("auth", "wrongpass")
    assert classify_exception(error).category != "auth"  # what the generic rules would say
