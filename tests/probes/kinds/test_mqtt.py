"""The mqtt probe kind against the machine's Mosquitto (127.0.0.1:1883) and, for authentication
and ACLs, a mosquitto of the test's own."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.reasoncodes import ReasonCode

from probes.classify import classify_exception
from probes.kinds.mqtt import MqttProbe, classify
from probes.result import StepStatus
from tests.probes.conftest import AttemptOf
from tests.support.brokers import HOST, OwnServer, free_port, outcome, shared

PASSWORD = "mqtt-test-password-2f7a"


def _probe(port: int, **options: Any) -> MqttProbe:
    return MqttProbe.model_validate({"name": "telemetry", "type": "mqtt",
                                     "url": f"mqtt://{HOST}:{port}", "timeout": "5s", **options})


@pytest.fixture
def mosquitto_port() -> int:
    return shared("mosquitto")


@pytest.fixture(scope="module")
def locked_mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A mosquitto of our own: passwords required; `probe` may read and write everything,
    `deaf` may only write (Mosquitto acknowledges, then drops, what a client may not read)."""
    port, folder = free_port(), tmp_path_factory.mktemp("mosquitto")
    passwords, acl = folder / "passwords", folder / "acl"
    for user in ("probe", "deaf"):
        subprocess.run(["mosquitto_passwd", *(["-c"] if user == "probe" else []), "-b",
                        str(passwords), user, PASSWORD], check=True, capture_output=True)
    acl.write_text("user probe\ntopic readwrite #\nuser deaf\ntopic write #\n")
    config = folder / "mosquitto.conf"
    # `user root`: a mosquitto started by root keeps to root (not its own user), so it can read
    # the test's private temporary folder; it is ignored when not started by root.
    config.write_text(f"user root\nlistener {port} {HOST}\nallow_anonymous false\n"
                      f"persistence false\n"
                      f"password_file {passwords}\nacl_file {acl}\n")
    with OwnServer(["mosquitto", "-c", str(config)], port, Path(folder) / "mosquitto.log"):
        yield port


@pytest.mark.parametrize("options", [{}, {"protocol": "5", "qos": 2}])
async def test_round_trip(mosquitto_port: int, options: dict[str, Any],
                          attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(mosquitto_port, **options))
    assert attempt.failure is None, attempt.failure
    assert [(s.name, s.status) for s in attempt.steps] == [
        ("connect", StepStatus.OK), ("publish", StepStatus.OK), ("receive", StepStatus.OK)]
    assert attempt.steps[2].phases.ttfb_ms is not None


@pytest.mark.parametrize(("user", "password", "options", "expected"), [
    ("probe", PASSWORD, {}, None),
    ("probe", "not-the-password", {}, ("auth", "not_authorized", "connect")),
    ("probe", "not-the-password", {"protocol": "5"}, ("auth", "not_authorized", "connect")),
    (None, None, {}, ("auth", "not_authorized", "connect")),
    ("deaf", PASSWORD, {"receive_timeout": "500ms"},
     ("timeout", "message_not_received", "receive")),
])
async def test_credentials_and_acls(locked_mosquitto: int, user: str | None,
                                    password: str | None, options: dict[str, Any],
                                    expected: tuple[str, str, str] | None,
                                    attempt_of: AttemptOf) -> None:
    credentials = {"username": user, "password": password} if user else {}
    attempt = await attempt_of(_probe(locked_mosquitto, **credentials, **options))
    assert outcome(attempt) == expected, attempt.failure


@pytest.mark.parametrize(("code", "reason"), [
    (4, "bad_credentials"), (0x86, "bad_credentials"), (5, "not_authorized"),
    (0x87, "not_authorized"), (0x8C, "not_authorized"), (3, None)])
def test_connack_codes(code: int, reason: str | None) -> None:
    failure = classify(MqttConnectError(code))
    if reason is None:
        assert failure is not None and failure.category == "connection"
    else:
        assert failure is not None and (failure.category, failure.reason) == ("auth", reason)


def test_a_reason_code_object_is_read_by_value() -> None:
    error = MqttConnectError(ReasonCode(2, identifier=0x87))  # CONNACK packet type
    failure = classify(error)
    assert failure is not None and failure.reason == "not_authorized"
    assert classify_exception(error).category == "internal"  # the generic rules cannot tell


def test_a_topic_to_publish_to_has_no_wildcards() -> None:
    with pytest.raises(ValueError, match="no wildcards"):
        _probe(1883, topic="sensors/+/temperature")
