"""The nats probe kind against the machine's NATS with JetStream (127.0.0.1:4222) and, for
authentication and permissions, a nats-server of the test's own."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.api import ConsumerConfig

from probes.kinds.nats import NatsProbe
from probes.result import StepStatus
from tests.probes.conftest import AttemptOf
from tests.support.brokers import HOST, OwnServer, free_port, outcome, shared

PASSWORD = "nats-test-password-8d2e"


def _probe(port: int, **options: Any) -> NatsProbe:
    return NatsProbe.model_validate({"name": "bus", "type": "nats", "url": f"nats://{HOST}:{port}",
                                     "timeout": "5s", **options})


@pytest.fixture
def nats_port() -> int:
    return shared("nats")


@pytest.fixture
async def nc(nats_port: int) -> AsyncIterator[Client]:
    client = await nats.connect(f"nats://{HOST}:{nats_port}", allow_reconnect=False)
    yield client
    await client.close()


@pytest.fixture
async def stream(nc: Client) -> AsyncIterator[tuple[str, str]]:
    """A throwaway stream and the subject prefix it takes (deleted after)."""
    tag = uuid.uuid4().hex[:8]
    name, prefix = f"SEAMWATCH_TEST_{tag}", f"seamwatch-test.{tag}"
    js = nc.jetstream()
    await js.add_stream(name=name, subjects=[f"{prefix}.>"])
    yield name, prefix
    await js.delete_stream(name)


@pytest.fixture(scope="module")
def locked_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A nats-server of our own: `probe` may do anything, `deaf` may not subscribe (but to
    inboxes)."""
    port, folder = free_port(), tmp_path_factory.mktemp("nats")
    config = folder / "nats.conf"
    config.write_text(f"""
listen: {HOST}:{port}
authorization {{
  users = [
    {{user: probe, password: "{PASSWORD}"}}
    {{user: deaf, password: "{PASSWORD}", permissions: {{publish: ">", subscribe: "_INBOX.>"}}}}
  ]
}}
""")
    with OwnServer(["nats-server", "-c", str(config)], port, Path(folder) / "nats.log"):
        yield port


async def test_core_round_trip(nats_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(nats_port))
    assert attempt.failure is None, attempt.failure
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("publish", StepStatus.OK), ("receive", StepStatus.OK)]
    assert attempt.steps[2].phases.ttfb_ms is not None


async def test_jetstream_round_trip_cleans_up(nats_port: int, nc: Client,
                                              stream: tuple[str, str],
                                              attempt_of: AttemptOf) -> None:
    name, prefix = stream
    attempt = await attempt_of(_probe(nats_port, stream=name, subject=f"{prefix}.probe"))
    assert attempt.failure is None, attempt.failure
    info = await nc.jetstream().stream_info(name)
    assert (info.state.messages, info.state.consumer_count) == (0, 0)


async def test_a_consumer_of_another_subject_never_gets_it(
        nats_port: int, nc: Client, stream: tuple[str, str], attempt_of: AttemptOf) -> None:
    name, prefix = stream
    await nc.jetstream().add_consumer(name, ConsumerConfig(
        durable_name="elsewhere", filter_subject=f"{prefix}.other"))
    attempt = await attempt_of(_probe(nats_port, stream=name, subject=f"{prefix}.probe",
                                      consumer="elsewhere", receive_timeout="600ms"))
    assert outcome(attempt) == ("timeout", "message_not_received", "receive")
    assert (await nc.jetstream().stream_info(name)).state.messages == 0  # deleted all the same


async def test_jetstream_refusals(nats_port: int, nc: Client, stream: tuple[str, str],
                                  attempt_of: AttemptOf) -> None:
    name, _prefix = stream
    await nc.jetstream().add_consumer(name, ConsumerConfig(durable_name="own"))
    cases: list[tuple[dict[str, Any], tuple[str, str, str]]] = [
        ({"stream": name, "subject": "not.in.the.stream"},
         ("client_error", "subject_not_in_stream", "connect")),
        ({"stream": name, "subject": "not.in.the.stream", "consumer": "own"},
         ("server_error", "unroutable", "publish")),
        ({"stream": "SEAMWATCH_NO_SUCH_STREAM", "subject": "x"},
         ("client_error", "not_found", "connect")),
        ({"stream": name, "subject": "x", "consumer": "no-such-consumer"},
         ("client_error", "not_found", "connect")),
    ]
    for options, expected in cases:
        attempt = await attempt_of(_probe(nats_port, **options))
        assert outcome(attempt) == expected, (options, attempt.failure)


@pytest.mark.parametrize(("user", "password", "expected"), [
    ("probe", PASSWORD, None),
    ("probe", "not-the-password", ("auth", "authorization_violation", "connect")),
    ("deaf", PASSWORD, ("auth", "permission_denied", "publish")),
])
async def test_credentials_and_permissions(locked_nats: int, user: str, password: str,
                                           expected: tuple[str, str, str] | None,
                                           attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(locked_nats, username=user, password=password))
    assert outcome(attempt) == expected, attempt.failure


def test_jetstream_keys_need_each_other() -> None:
    with pytest.raises(ValueError, match="`stream` needs `subject`"):
        _probe(4222, stream="ORDERS")
    with pytest.raises(ValueError, match="`consumer` needs `stream`"):
        _probe(4222, consumer="probe")
