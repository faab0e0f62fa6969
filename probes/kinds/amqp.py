"""The `amqp` probe kind: a RabbitMQ (AMQP 0-9-1) round trip with aio-pika.

Connect and open a channel with publisher confirms; by default declare a server-named exclusive,
auto-delete queue (gone with the connection), or use the existing `queue` given. With `exchange`
set, a queue of the probe's own is bound to it with the routing key. Publish a message carrying a
fresh `message_id` with `mandatory` set, wait for the broker's confirm, consume that message back
and acknowledge it. The steps and their timing are probes/brokers/roundtrip.py's.

| outcome                                            | category     | reason             |
|----------------------------------------------------|--------------|--------------------|
| login refused (`403 ACCESS_REFUSED`)               | auth         | access_refused     |
| no SASL mechanism in common                        | auth         | sasl_failed        |
| the virtual host is missing or not allowed (530)   | auth         | vhost_refused      |
| the queue or exchange does not exist (404)         | client_error | not_found          |
| declared otherwise (406 PRECONDITION_FAILED)       | client_error | precondition_failed|
| no queue takes the message (returned, `mandatory`) | server_error | unroutable         |
| the broker nacks it (e.g. a full queue)            | server_error | nacked             |
"""

from __future__ import annotations

import functools
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from probes.kinds.base import ProbeKind
from probes.kinds.broker import BrokerProbe, Endpoint, hung_step
from probes.result import Attempt, Category, Failure

if TYPE_CHECKING:
    import asyncio

    from aio_pika.abc import (
        AbstractConnection,
        AbstractExchange,
        AbstractIncomingMessage,
        AbstractQueue,
    )

    from probes.runtime import IntegrationRuntime


class AmqpProbe(BrokerProbe):
    """Publish a message to RabbitMQ with publisher confirms and consume it back."""

    SCHEMES: ClassVar[dict[str, bool]] = {"amqp": False, "amqps": True}
    DEFAULT_PORT: ClassVar[int] = 5672
    DEFAULT_TLS_PORT: ClassVar[int] = 5671

    type: Literal["amqp"]
    exchange: str = Field("", description="exchange to publish to; default the default exchange")
    routing_key: str | None = Field(None, description="default: the queue's name")
    queue: str | None = Field(
        None, description="an existing queue only the probe uses (other messages on it are "
                          "acknowledged and dropped); default a temporary exclusive queue")


class _Amqp:
    """One round trip's client calls (probes/brokers/roundtrip.py, Exchange)."""

    def __init__(self, probe: AmqpProbe, endpoint: Endpoint, base_dir: Path, message_id: str,
                 body: bytes) -> None:
        self.probe, self.endpoint, self.base_dir = probe, endpoint, base_dir
        self.message_id, self.body = message_id, body
        self.connection: AbstractConnection | None = None
        self.exchange: AbstractExchange | None = None
        self.queue: AbstractQueue | None = None
        import asyncio

        self.arrived: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def connect(self) -> None:
        import aio_pika

        from probes.brokers.roundtrip import tls_context

        ep, probe = self.endpoint, self.probe
        self.connection = await aio_pika.connect(
            host=ep.host, port=ep.port, login=ep.username or "guest",
            password=ep.password or "guest", virtualhost=ep.path or "/", ssl=ep.tls,
            ssl_context=tls_context(self.base_dir, probe.ca_file) if ep.tls else None,
            timeout=probe.connect_within, client_properties={"connection_name": "seamwatch"},
            connection_class=_closing_connection(),
        )
        channel = await self.connection.channel(publisher_confirms=True, on_return_raises=False)
        if probe.queue:
            self.queue = await channel.declare_queue(probe.queue, passive=True)
        else:
            self.queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        if probe.exchange:
            self.exchange = await channel.get_exchange(probe.exchange, ensure=True)
            if not probe.queue:
                await self.queue.bind(self.exchange, self.routing_key)
        else:
            self.exchange = channel.default_exchange
        await self.queue.consume(self._on_message)

    @property
    def routing_key(self) -> str:
        assert self.queue is not None
        return self.probe.routing_key if self.probe.routing_key is not None else self.queue.name

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        await message.ack()  # this run's message, or a leftover of an earlier one
        if message.message_id == self.message_id and not self.arrived.done():
            self.arrived.set_result(perf_counter())

    async def publish(self) -> None:
        import aio_pika
        from aiormq.exceptions import DeliveryError
        from pamqp.commands import Basic

        from probes.brokers.roundtrip import BrokerFailure

        assert self.exchange is not None
        message = aio_pika.Message(
            self.body, message_id=self.message_id, app_id="seamwatch",
            expiration=max(1.0, self.probe.receive_within),  # a lost message does not pile up
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        )
        where = f"exchange {self.probe.exchange or '(default)'!r}, routing key " \
                f"{self.routing_key!r}"
        confirm: Any
        try:
            confirm = await self.exchange.publish(message, self.routing_key, mandatory=True,
                                                  timeout=None)
        except DeliveryError as exc:
            confirm = exc.frame
        if isinstance(confirm, Basic.Nack):
            raise BrokerFailure(Failure(Category.SERVER_ERROR, "nacked",
                                        f"the broker rejected the message ({where})"))
        returned = confirm if isinstance(confirm, Basic.Return) else getattr(confirm,
                                                                               "delivery", None)
        if isinstance(returned, Basic.Return):
            raise BrokerFailure(Failure(
                Category.SERVER_ERROR, "unroutable",
                f"no queue took the message: {returned.reply_code} {returned.reply_text} "
                f"({where})"))

    async def receive(self) -> float:
        import asyncio

        return await asyncio.shield(self.arrived)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


@functools.cache
def _closing_connection() -> type[Any]:
    """aio-pika's Connection, closed when connecting fails (aio-pika leaves that to the
    garbage collector, whose un-awaited close leaks a warning and the half-open socket)."""
    import aio_pika

    class ClosingConnection(aio_pika.Connection):
        async def connect(self, timeout: float | None = None) -> None:
            try:
                await super().connect(timeout)
            except BaseException:
                await self.close()
                raise

    return ClosingConnection


def classify(exc: BaseException) -> Failure | None:
    """aiormq's exceptions (several of them ConnectionErrors) that say more than their class's
    place in probes/classify.py would."""
    import aiormq.exceptions as amqp

    from probes.brokers.roundtrip import connection_failure

    text = str(exc)
    if isinstance(exc, amqp.ProbableAuthenticationError | amqp.ChannelAccessRefused):
        return Failure(Category.AUTH, "access_refused", f"the broker refused access: {text}")
    if isinstance(exc, amqp.AuthenticationError):
        return Failure(Category.AUTH, "sasl_failed", f"no login mechanism in common: {text}")
    if isinstance(exc, amqp.ConnectionNotAllowed) or (
            isinstance(exc, amqp.InvalidFrameError) and "Connection.Close" in text):
        return Failure(Category.AUTH, "vhost_refused",
                       "the broker refused the virtual host (missing, or not allowed)")
    if isinstance(exc, amqp.ChannelNotFoundEntity):
        return Failure(Category.CLIENT_ERROR, "not_found", text)
    if isinstance(exc, amqp.ChannelPreconditionFailed):
        return Failure(Category.CLIENT_ERROR, "precondition_failed", text)
    if isinstance(exc, amqp.ConnectionClosed | amqp.ChannelClosed):
        return Failure(Category.CONNECTION, "closed_early", f"the broker closed: {text}")
    if isinstance(exc, amqp.AMQPError | amqp.ChannelInvalidStateError):
        return connection_failure(exc)  # refused, reset, TLS… from its causes
    return None


async def attempt(rt: IntegrationRuntime, probe: AmqpProbe, into: Attempt) -> Attempt:
    from probes.brokers.roundtrip import fresh_id, payload, round_trip

    endpoint, message_id = probe.endpoint(), fresh_id()
    exchange = _Amqp(probe, endpoint, rt.base_dir, message_id, payload(message_id))
    return await round_trip(exchange, into, where=endpoint.where,
                            connect_within=probe.connect_within,
                            receive_within=probe.receive_within, classify=classify)


KIND = ProbeKind("amqp", AmqpProbe, attempt, hung_step=hung_step)
