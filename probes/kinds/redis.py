"""The `redis` probe kind: a Redis round trip with redis-py's asyncio client.

`mode: stream` (the default) uses a stream with a consumer group: `XGROUP CREATE … MKSTREAM` once
(an existing group is kept), `XADD` a message carrying a fresh id (the reply with its entry id is
the publish acknowledgement), `XREADGROUP` until that entry is back, then `XACK` and `XDEL` it
(and any leftover of an earlier run the group hands out: the stream is the probe's own).
`mode: ping` is `PING`, `SET` with an expiry, `GET` of the same value, `DEL`. The steps and
their timing are probes/brokers/roundtrip.py's.

| outcome                                   | category     | reason         |
|-------------------------------------------|--------------|----------------|
| `WRONGPASS`, `NOAUTH`                     | auth         | wrongpass      |
| `NOPERM` (an ACL forbids the command/key) | auth         | noperm         |
| `WRONGTYPE` (the key holds something else)| client_error | wrong_type     |
| `GET` returns another value               | assertion    | value_mismatch |
| any other error reply                     | server_error | redis_error    |
"""

from __future__ import annotations

from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field

from probes.kinds.base import ProbeKind
from probes.kinds.broker import BrokerProbe, Endpoint, hung_step
from probes.result import Attempt, Category, Failure

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from probes.runtime import IntegrationRuntime

GROUP_CONSUMER = "seamwatch"
STREAM_MAXLEN = 1000  # approximate cap on the probe's stream


class RedisProbe(BrokerProbe):
    """Add a message to a Redis stream and read it back through a consumer group (or PING, SET
    and GET a key)."""

    SCHEMES: ClassVar[dict[str, bool]] = {"redis": False, "rediss": True}
    DEFAULT_PORT: ClassVar[int] = 6379
    DEFAULT_TLS_PORT: ClassVar[int] = 6379

    type: Literal["redis"]
    mode: Literal["stream", "ping"] = "stream"
    key: str | None = Field(
        None, min_length=1, description="the stream (mode stream) or key prefix (mode ping); "
                                        "default seamwatch:<integration>:<probe>")
    group: str = Field("seamwatch", min_length=1, description="the stream's consumer group")


class _Redis:
    """One round trip's client calls (probes/brokers/roundtrip.py, Exchange)."""

    def __init__(self, probe: RedisProbe, endpoint: Endpoint, base_dir: Path, key: str,
                 message_id: str, body: bytes) -> None:
        self.probe, self.endpoint, self.base_dir = probe, endpoint, base_dir
        self.key, self.message_id, self.body = key, message_id, body
        self.client: Redis | None = None
        self.entry: Any = None  # the stream entry id XADD gave
        self.settled = False

    async def connect(self) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ResponseError

        from probes.brokers.roundtrip import tls_context

        ep = self.endpoint
        if ep.tls:
            tls_context(self.base_dir, self.probe.ca_file)  # a config failure if unreadable
        self.client = Redis(
            host=ep.host, port=ep.port, db=int(ep.path or 0), username=ep.username,
            password=ep.password, ssl=ep.tls, ssl_ca_certs=self._ca_path(),
            socket_connect_timeout=self.probe.connect_within,
            retry=Retry(NoBackoff(), 0),  # a round trip is one try: retries are the run's
        )
        await self.client.ping()
        if self.probe.mode == "stream":
            try:
                await self.client.xgroup_create(self.key, self.probe.group, id="$",
                                                mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def _ca_path(self) -> str | None:
        from probes.http.client import resolve_path

        ca_file = self.probe.ca_file
        return resolve_path(self.base_dir, ca_file) if ca_file and self.endpoint.tls else None

    async def publish(self) -> None:
        assert self.client is not None
        if self.probe.mode == "ping":
            expiry_ms = int((self.probe.receive_within + self.probe.connect_within) * 1000)
            await self.client.set(self.key, self.body, px=max(1000, expiry_ms))
        else:
            self.entry = await self.client.xadd(self.key, {"id": self.message_id},
                                                maxlen=STREAM_MAXLEN, approximate=True)

    async def receive(self) -> float:
        from probes.brokers.roundtrip import BrokerFailure

        assert self.client is not None
        if self.probe.mode == "ping":
            value = await self.client.get(self.key)
            if value != self.body:
                raise BrokerFailure(Failure(Category.ASSERTION, "value_mismatch",
                                            f"GET {self.key} returned another value than SET"))
            return perf_counter()
        while True:
            reply: Any = await self.client.xreadgroup(self.probe.group, GROUP_CONSUMER,
                                                 {self.key: ">"}, count=100, block=1000)
            entries = [entry for _stream, batch in reply or [] for entry in batch]
            if not entries:
                continue
            arrived = perf_counter()
            ids = [entry_id for entry_id, _fields in entries]
            await self.client.xack(self.key, self.probe.group, *ids)
            await self.client.xdel(self.key, *ids)
            if any(fields.get(b"id") == self.message_id.encode() for _id, fields in entries):
                self.settled = True
                return arrived

    async def close(self) -> None:
        if self.client is None:
            return
        try:
            if self.probe.mode == "ping":
                await self.client.delete(self.key)
            elif self.entry is not None and not self.settled:
                await self.client.xack(self.key, self.probe.group, self.entry)
                await self.client.xdel(self.key, self.entry)
        finally:
            await self.client.aclose()


def classify(exc: BaseException) -> Failure | None:
    """redis-py's exceptions: AuthenticationError is one of its ConnectionErrors, and neither
    is Python's own ConnectionError."""
    import redis.exceptions as rx

    from probes.brokers.roundtrip import connection_failure

    text = str(exc)
    if isinstance(exc, rx.AuthenticationError | rx.AuthenticationWrongNumberOfArgsError):
        return Failure(Category.AUTH, "wrongpass", f"the server refused the login: {text}")
    if isinstance(exc, rx.NoPermissionError | rx.AuthorizationError):
        return Failure(Category.AUTH, "noperm", f"the server refused the command: {text}")
    if isinstance(exc, rx.ResponseError):
        if text.startswith("WRONGTYPE"):
            return Failure(Category.CLIENT_ERROR, "wrong_type", text)
        return Failure(Category.SERVER_ERROR, "redis_error", text)
    if isinstance(exc, rx.TimeoutError):
        return Failure(Category.TIMEOUT, "read_timeout", f"the server did not answer: {text}")
    if isinstance(exc, rx.RedisError):
        return connection_failure(exc)  # refused, reset, TLS… from its causes
    return None


async def attempt(rt: IntegrationRuntime, probe: RedisProbe, into: Attempt) -> Attempt:
    from probes.brokers.roundtrip import fresh_id, payload, round_trip

    endpoint, message_id = probe.endpoint(), fresh_id()
    key = probe.key or f"seamwatch:{rt.spec.name}:{probe.name}"
    if probe.mode == "ping":
        key = f"{key}:{message_id}"
    exchange = _Redis(probe, endpoint, rt.base_dir, key, message_id, payload(message_id))
    return await round_trip(exchange, into, where=endpoint.where,
                            connect_within=probe.connect_within,
                            receive_within=probe.receive_within, classify=classify)


KIND = ProbeKind("redis", RedisProbe, attempt, hung_step=hung_step)
