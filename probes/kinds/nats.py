"""The `nats` probe kind: a NATS round trip with nats-py.

Core NATS (no `stream:`): subscribe to `subject` (answering this run's message), publish it with
a fresh reply inbox, and `flush` (the server's PONG after it: the publish acknowledgement); the
message is back when the echo reaches the inbox. JetStream (`stream:` set): publish to `subject`
and wait for the stream's `PubAck`, then fetch the message back through a pull consumer created
before publishing (or the durable `consumer:` given, which only the probe uses: what it hands out
is acknowledged), acknowledge it and delete it from the stream. The steps and their timing are
probes/brokers/roundtrip.py's.

| outcome                                            | category     | reason                  |
|----------------------------------------------------|--------------|-------------------------|
| `Authorization Violation` (bad user, password, token) | auth      | authorization_violation |
| `Permissions Violation` (publish or subscribe)     | auth         | permission_denied       |
| the stream or consumer does not exist              | client_error | not_found               |
| the stream does not take `subject`                 | client_error | subject_not_in_stream   |
| no stream takes the subject (no `PubAck`)          | server_error | unroutable              |
| nobody subscribed (`503` no responders)            | server_error | no_responders           |
| any other JetStream API error                      | server_error | jetstream_error         |
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, model_validator

from core.types import Secret
from probes.kinds.base import ProbeKind
from probes.kinds.broker import BrokerProbe, Endpoint, hung_step
from probes.result import Attempt, Category, Failure

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg

    from probes.runtime import IntegrationRuntime

FILTER_NOT_IN_STREAM = 10093  # JetStream API error: a consumer's subject outside its stream
POLL = 0.25  # seconds between looks at the connection's asynchronous errors while waiting


class NatsProbe(BrokerProbe):
    """Send a message through NATS and get it back: core request/reply, or JetStream publish
    acknowledgement and fetch when `stream` is set."""

    SCHEMES: ClassVar[dict[str, bool]] = {"nats": False, "tls": True}
    DEFAULT_PORT: ClassVar[int] = 4222
    DEFAULT_TLS_PORT: ClassVar[int] = 4222

    type: Literal["nats"]
    subject: str | None = Field(
        None, min_length=1, description="default seamwatch.<integration>.<probe>; with `stream`, "
                                        "required: a subject the stream takes")
    stream: str | None = Field(None, min_length=1, description="a JetStream stream: publish "
                                                               "with acknowledgement, fetch back")
    consumer: str | None = Field(None, min_length=1, description="a durable pull consumer of "
                                                                 "`stream` only the probe uses")
    token: Secret | None = Field(None, description="an authentication token")

    @model_validator(mode="after")
    def _jetstream_keys(self) -> NatsProbe:
        if self.stream is not None and self.subject is None:
            raise ValueError("`stream` needs `subject`: a subject the stream takes")
        if self.consumer is not None and self.stream is None:
            raise ValueError("`consumer` needs `stream`")
        return self


class _Nats:
    """One round trip's client calls (probes/brokers/roundtrip.py, Exchange)."""

    def __init__(self, probe: NatsProbe, endpoint: Endpoint, base_dir: Path, subject: str,
                 body: bytes) -> None:
        self.probe, self.endpoint, self.base_dir = probe, endpoint, base_dir
        self.subject, self.body = subject, body
        self.nc: Client | None = None
        self.errors: list[Exception] = []  # the connection's asynchronous errors
        self.inbox = ""
        self.replies: Any = None  # the inbox subscription (core) or pull subscription
        self.seq: int | None = None  # the stream sequence of the published message

    async def _on_error(self, error: Exception) -> None:
        self.errors.append(error)

    async def connect(self) -> None:
        import nats
        from nats.errors import NoServersError

        from probes.brokers.roundtrip import tls_context

        ep, probe = self.endpoint, self.probe
        scheme = "tls" if ep.tls else "nats"
        try:
            self.nc = await nats.connect(
                servers=[f"{scheme}://{ep.where}"], name="seamwatch",
                user=ep.username, password=ep.password,
                token=probe.token.get_secret_value() if probe.token else None,
                tls=tls_context(self.base_dir, probe.ca_file) if ep.tls else None,
                connect_timeout=probe.connect_within, allow_reconnect=False,
                # nats-py retries a refused first connect forever with 0 attempts; 1 gives up
                max_reconnect_attempts=1, reconnect_time_wait=0, error_cb=self._on_error,
            )
        except NoServersError:
            if not self.errors:
                raise
        if self.nc is None:  # raised here, not in the handler: classified without the wrapper
            raise self.errors[-1]  # why the server could not be reached (refused, reset, TLS…)
        if probe.stream is None:
            await self.nc.subscribe(self.subject, cb=self._echo)
            self.inbox = self.nc.new_inbox()
            self.replies = await self.nc.subscribe(self.inbox)
            await self.nc.flush()  # bounded by the round trip
            return
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        js = self.nc.jetstream(timeout=probe.connect_within)
        await js.stream_info(probe.stream)
        if probe.consumer is not None:
            self.replies = await js.pull_subscribe_bind(durable=probe.consumer,
                                                        stream=probe.stream)
            await self.replies.consumer_info()
        else:
            self.replies = await js.pull_subscribe(self.subject, stream=probe.stream, config=(
                ConsumerConfig(deliver_policy=DeliverPolicy.NEW, ack_policy=AckPolicy.EXPLICIT,
                               inactive_threshold=max(30.0, probe.timeout))))

    async def _echo(self, msg: Msg) -> None:
        if msg.reply and msg.data == self.body and self.nc is not None:
            await self.nc.publish(msg.reply, msg.data)

    async def publish(self) -> None:
        assert self.nc is not None
        if self.probe.stream is None:
            await self.nc.publish(self.subject, self.body, reply=self.inbox)
            await self.nc.flush()  # the server's PONG: it has taken the message
            self._raise_async_error()
            return
        js = self.nc.jetstream(timeout=self.probe.connect_within)
        ack = await js.publish(self.subject, self.body, stream=self.probe.stream)
        self.seq = ack.seq

    def _raise_async_error(self) -> None:
        """A permissions violation arrives on its own, not as the answer to a call."""
        for error in self.errors:
            if "permissions violation" in str(error).lower():
                raise error

    async def receive(self) -> float:
        from nats.errors import TimeoutError as NatsTimeout

        while True:
            self._raise_async_error()
            try:
                if self.probe.stream is None:
                    msgs = [await self.replies.next_msg(timeout=POLL)]
                else:
                    msgs = await self.replies.fetch(1, timeout=POLL)
            except NatsTimeout:
                continue
            for msg in msgs:
                if msg.headers and msg.headers.get("Status") == "503":
                    self._raise_async_error()
                    from probes.brokers.roundtrip import BrokerFailure

                    raise BrokerFailure(Failure(Category.SERVER_ERROR, "no_responders",
                                                f"nobody subscribed to {self.subject}"))
                ours = msg.data == self.body
                if self.probe.stream is not None and (ours or self.probe.consumer):
                    await msg.ack()
                if ours:
                    return perf_counter()

    async def close(self) -> None:
        if self.nc is None:
            return
        try:
            if self.probe.stream is not None and self.seq is not None:
                js = self.nc.jetstream(timeout=self.probe.connect_within)
                if self.probe.consumer is None and self.replies is not None:
                    info = await self.replies.consumer_info()
                    await js.delete_consumer(self.probe.stream, info.name)
                await js.delete_msg(self.probe.stream, self.seq)
        finally:
            await self.nc.close()


def classify(exc: BaseException) -> Failure | None:
    """nats-py's errors: most are one `Error` class told apart by the server's text."""
    import nats.errors as ne
    import nats.js.errors as je

    from probes.brokers.roundtrip import connection_failure

    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, ne.AuthorizationError) or "authorization violation" in lowered:
        return Failure(Category.AUTH, "authorization_violation",
                       f"the server refused the login: {text}")
    if "permissions violation" in lowered:
        return Failure(Category.AUTH, "permission_denied", f"the server refused: {text}")
    if isinstance(exc, je.NoStreamResponseError):
        return Failure(Category.SERVER_ERROR, "unroutable",
                       "no JetStream stream acknowledged the message (none takes its subject)")
    if isinstance(exc, je.NotFoundError):
        return Failure(Category.CLIENT_ERROR, "not_found", f"JetStream: {exc.description}")
    if isinstance(exc, je.APIError) and exc.err_code == FILTER_NOT_IN_STREAM:
        return Failure(Category.CLIENT_ERROR, "subject_not_in_stream",
                       f"the stream does not take the subject: {exc.description}")
    if isinstance(exc, je.APIError):
        return Failure(Category.SERVER_ERROR, "jetstream_error", f"JetStream: {text}")
    if isinstance(exc, ne.NoRespondersError):
        return Failure(Category.SERVER_ERROR, "no_responders", text)
    if isinstance(exc, ne.NoServersError):
        return Failure(Category.CONNECTION, "connect_error", "no NATS server could be reached")
    if isinstance(exc, ne.Error) and not isinstance(exc, ne.TimeoutError):
        return connection_failure(exc)
    return None


async def attempt(rt: IntegrationRuntime, probe: NatsProbe, into: Attempt) -> Attempt:
    from probes.brokers.roundtrip import fresh_id, payload, round_trip

    endpoint = probe.endpoint()
    subject = probe.subject or f"seamwatch.{rt.spec.name}.{probe.name}"
    exchange = _Nats(probe, endpoint, rt.base_dir, subject, payload(fresh_id()))
    return await round_trip(exchange, into, where=endpoint.where,
                            connect_within=probe.connect_within,
                            receive_within=probe.receive_within, classify=classify)


KIND = ProbeKind("nats", NatsProbe, attempt, hung_step=hung_step)
