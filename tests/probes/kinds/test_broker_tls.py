"""The broker kinds over TLS, against redis-server, nats-server and mosquitto of the test's own
with a certificate from a test CA: trusted through `ca_file`, untrusted without it. (RabbitMQ's
TLS listener needs a broker-wide configuration change, so `amqps` is not run here.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from probes.kinds.broker import BrokerProbe
from probes.kinds.mqtt import MqttProbe
from probes.kinds.nats import NatsProbe
from probes.kinds.redis import RedisProbe
from tests.probes.conftest import AttemptOf
from tests.support.brokers import HOST, OwnServer, free_port, outcome
from tests.support.servers import TlsFiles, make_tls_files


def _redis(port: int, tls: TlsFiles, folder: Path) -> list[str]:
    return ["redis-server", "--port", "0", "--tls-port", str(port), "--bind", HOST,
            "--tls-cert-file", str(tls.cert_pem), "--tls-key-file", str(tls.key_pem),
            "--tls-ca-cert-file", str(tls.ca_pem), "--tls-auth-clients", "no",
            "--save", "", "--appendonly", "no", "--dir", str(folder)]


def _nats(port: int, tls: TlsFiles, folder: Path) -> list[str]:
    config = folder / "nats.conf"
    config.write_text(f'listen: {HOST}:{port}\n'
                      f'tls {{ cert_file: "{tls.cert_pem}", key_file: "{tls.key_pem}" }}\n')
    return ["nats-server", "-c", str(config)]


def _mosquitto(port: int, tls: TlsFiles, folder: Path) -> list[str]:
    config = folder / "mosquitto.conf"
    config.write_text(f"user root\nlistener {port} {HOST}\nallow_anonymous true\n"
                      f"persistence false\ncertfile {tls.cert_pem}\nkeyfile {tls.key_pem}\n")
    return ["mosquitto", "-c", str(config)]


SERVERS = {
    "redis": (_redis, RedisProbe, "rediss"),
    "nats": (_nats, NatsProbe, "tls"),
    "mqtt": (_mosquitto, MqttProbe, "mqtts"),
}


@pytest.fixture(scope="module", params=list(SERVERS))
def tls_broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[tuple[str, int, TlsFiles]]:
    kind = str(request.param)
    folder = tmp_path_factory.mktemp(f"tls-{kind}")
    tls = make_tls_files(folder)
    port = free_port()
    with OwnServer(SERVERS[kind][0](port, tls, folder), port, folder / "server.log"):
        yield kind, port, tls


def _probe(kind: str, port: int, **keys: Any) -> BrokerProbe:
    _argv, model, scheme = SERVERS[kind]
    return model.model_validate({"name": "p", "type": kind, "timeout": "4s",
                                 "url": f"{scheme}://{HOST}:{port}", **keys})


async def test_round_trip_over_tls_trusting_ca_file(tls_broker: tuple[str, int, TlsFiles],
                                                    attempt_of: AttemptOf) -> None:
    kind, port, tls = tls_broker
    attempt = await attempt_of(_probe(kind, port, ca_file=str(tls.ca_pem)))
    assert outcome(attempt) is None, attempt.failure


async def test_an_untrusted_certificate_is_a_tls_failure(tls_broker: tuple[str, int, TlsFiles],
                                                         attempt_of: AttemptOf) -> None:
    kind, port, _tls = tls_broker
    attempt = await attempt_of(_probe(kind, port))
    assert outcome(attempt) == ("tls", "cert_untrusted", "connect"), attempt.failure


async def test_an_unreadable_ca_file_is_a_config_failure(tls_broker: tuple[str, int, TlsFiles],
                                                         attempt_of: AttemptOf) -> None:
    kind, port, _tls = tls_broker
    attempt = await attempt_of(_probe(kind, port, ca_file="missing-ca.pem"))
    assert outcome(attempt) == ("config", "ca_file_unreadable", "connect"), attempt.failure
