"""The `mqtt` probe kind: an MQTT round trip with aiomqtt 2.x (paho-mqtt underneath).

Connect with a fresh client id and a clean session, subscribe to `topic`, publish this run's
payload with QoS 1 (or 2) and wait for the broker's acknowledgement (`PUBACK`, or `PUBCOMP`),
then wait for the same payload to arrive on the subscription. The steps and their timing are
probes/brokers/roundtrip.py's. A broker that drops a message its ACL forbids (Mosquitto does, and
still acknowledges it) shows as `message_not_received`.

| outcome                                                  | category | reason             |
|----------------------------------------------------------|----------|--------------------|
| CONNACK 4 / 0x86 (bad user name or password)             | auth     | bad_credentials    |
| CONNACK 5 / 0x87 (not authorized), 0x8C (bad auth method)| auth     | not_authorized     |
| SUBACK 0x80 or higher (subscription refused)             | auth     | subscribe_refused  |
| any other refusal code                                   | connection | connack_refused  |
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from probes.kinds.base import ProbeKind
from probes.kinds.broker import BrokerProbe, Endpoint, hung_step
from probes.result import Attempt, Category, Failure

if TYPE_CHECKING:
    from aiomqtt import Client

    from probes.runtime import IntegrationRuntime

# CONNACK return codes (MQTT 3.1.1, and the 5.0 reason codes paho maps them to) meaning the
# credential was refused.
_BAD_CREDENTIALS = {4, 0x86}
_NOT_AUTHORIZED = {5, 0x87, 0x8C}


class MqttProbe(BrokerProbe):
    """Subscribe to an MQTT topic, publish to it with QoS 1 and receive the same payload."""

    SCHEMES: ClassVar[dict[str, bool]] = {"mqtt": False, "mqtts": True}
    DEFAULT_PORT: ClassVar[int] = 1883
    DEFAULT_TLS_PORT: ClassVar[int] = 8883

    type: Literal["mqtt"]
    topic: str | None = Field(None, min_length=1,
                              description="default seamwatch/<integration>/<probe>")
    qos: Literal[1, 2] = 1
    protocol: Literal["3.1.1", "5"] = Field("3.1.1", description="MQTT protocol version")

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, value: str | None) -> str | None:
        if value is not None and ("+" in value or "#" in value):
            raise ValueError(f"a topic to publish to has no wildcards (+, #), got {value!r}")
        return value


class _Mqtt:
    """One round trip's client calls (probes/brokers/roundtrip.py, Exchange)."""

    def __init__(self, probe: MqttProbe, endpoint: Endpoint, base_dir: Path, topic: str,
                 client_id: str, body: bytes) -> None:
        self.probe, self.endpoint, self.base_dir = probe, endpoint, base_dir
        self.topic, self.client_id, self.body = topic, client_id, body
        self.client: Client | None = None
        self.connected = False

    async def connect(self) -> None:
        import aiomqtt

        from probes.brokers.roundtrip import BrokerFailure, tls_context

        ep, probe = self.endpoint, self.probe
        self.client = aiomqtt.Client(
            ep.host, ep.port, username=ep.username, password=ep.password,
            identifier=self.client_id, clean_session=True if probe.protocol == "3.1.1" else None,
            protocol=aiomqtt.ProtocolVersion.V5 if probe.protocol == "5"
            else aiomqtt.ProtocolVersion.V311,
            timeout=probe.connect_within,
            tls_context=tls_context(self.base_dir, probe.ca_file) if ep.tls else None,
        )
        await self.client.__aenter__()
        self.connected = True
        granted = await self.client.subscribe(self.topic, qos=probe.qos)
        codes = [getattr(code, "value", code) for code in granted]
        if any(code >= 0x80 for code in codes):
            raise BrokerFailure(Failure(Category.AUTH, "subscribe_refused",
                                        f"the broker refused the subscription to {self.topic}"))

    async def publish(self) -> None:
        assert self.client is not None
        await self.client.publish(self.topic, self.body, qos=self.probe.qos)

    async def receive(self) -> float:
        assert self.client is not None
        async for message in self.client.messages:
            if message.payload == self.body:
                return perf_counter()
        raise ConnectionError("the broker closed the connection")  # pragma: no cover

    async def close(self) -> None:
        if self.client is not None and self.connected:
            await self.client.__aexit__(None, None, None)


def classify(exc: BaseException) -> Failure | None:
    """aiomqtt's errors: a refused CONNACK is an MqttCodeError with the broker's code."""
    import aiomqtt
    from paho.mqtt.reasoncodes import ReasonCode

    from probes.brokers.roundtrip import connection_failure

    if isinstance(exc, aiomqtt.MqttCodeError) and exc.rc is not None:
        code = exc.rc.value if isinstance(exc.rc, ReasonCode) else int(exc.rc)
        if code in _BAD_CREDENTIALS:
            return Failure(Category.AUTH, "bad_credentials", f"the broker refused the login: {exc}")
        if code in _NOT_AUTHORIZED:
            return Failure(Category.AUTH, "not_authorized", f"the broker refused the login: {exc}")
        if isinstance(exc, aiomqtt.exceptions.MqttConnectError):
            return Failure(Category.CONNECTION, "connack_refused", f"the broker refused: {exc}")
    if isinstance(exc, aiomqtt.MqttError):
        return connection_failure(exc)  # refused, reset, TLS… from its causes
    return None


async def attempt(rt: IntegrationRuntime, probe: MqttProbe, into: Attempt) -> Attempt:
    from probes.brokers.roundtrip import fresh_id, payload, round_trip

    endpoint, message_id = probe.endpoint(), fresh_id()
    topic = probe.topic or f"seamwatch/{rt.spec.name}/{probe.name}"
    exchange = _Mqtt(probe, endpoint, rt.base_dir, topic, f"seamwatch-{message_id[:12]}",
                     payload(message_id))
    return await round_trip(exchange, into, where=endpoint.where,
                            connect_within=probe.connect_within,
                            receive_within=probe.receive_within, classify=classify)


KIND = ProbeKind("mqtt", MqttProbe, attempt, hung_step=hung_step)
