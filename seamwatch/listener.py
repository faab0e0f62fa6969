"""The small HTTP listener of `serve`: /healthz, /metrics (Prometheus text format), the
inbound heartbeats of `heartbeat` probes (`POST` or `GET /heartbeat/<integration>/<probe>`) and
the providers' webhooks (`POST /webhook/<integration>/<probe>`, seamwatch/webhooks.py).

It may face an untrusted network, so it is bounded (ListenerLimits): each request must arrive
whole (headers and body) within `read_timeout_s` of its first byte, or of the connection, else the
server answers 408 and closes; an idle keep-alive connection is closed after `keep_alive_s`; at
most `max_connections` are open at once (beyond, a connection is answered 503 and closed at once,
so it never holds a file descriptor); headers are capped at `max_header_bytes`, heartbeat
bodies at 64 KiB and webhook bodies at 1 MiB. Its repeated log lines are rate-limited
(seamwatch/logs.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import h11
import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from uvicorn.protocols.http.h11_impl import H11Protocol

from probes.heartbeats import MAX_BODY, HeartbeatRegistry, Received
from seamwatch.config import parse_listen
from seamwatch.errors import UserError
from seamwatch.fdlimit import open_file_limit
from seamwatch.logs import RATE_LIMIT_KEY
from seamwatch.webhooks import MAX_WEBHOOK_BODY, WebhookReceiver

log = logging.getLogger("seamwatch.listener")
DEFAULT_BACKLOG = 64  # pending connections the kernel queues (and asyncio accepts per wake-up)


@dataclass(frozen=True, slots=True)
class ListenerLimits:
    read_timeout_s: float = 10.0  # a request's headers and body, from its first byte
    keep_alive_s: int = 5  # an idle connection between requests
    max_connections: int = 256  # never more than a quarter of the open-file limit (for_process)
    backlog: int = DEFAULT_BACKLOG
    max_header_bytes: int = 16 * 1024

    def for_process(self) -> ListenerLimits:
        """These limits with `max_connections` at most a quarter of the open-file limit, so the
        listener can never starve the probes of file descriptors."""
        files = open_file_limit()
        if files is None:
            return self
        return replace(self, max_connections=max(8, min(self.max_connections, files // 4)))


class ListenAddressInUse(UserError):
    exit_code = 2


def bind_socket(address: str, backlog: int = DEFAULT_BACKLOG) -> socket.socket:
    """Bind now, so a port in use is a clear error before anything starts. `address` is
    `runner.listen`, already validated by the config."""
    host, port = parse_listen(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ListenAddressInUse(
            f"cannot listen on {address}: {exc.strerror}; set `runner.listen` to another "
            "host:port (or `listen: null` to run without the listener)"
        ) from None
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


# ------------------------------------------------------------------------------ the app


async def _body_within(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _printable(text: str, limit: int = 100) -> str:
    """`text` as one safe log token: no control characters, bounded length."""
    shown = ascii(text[:limit])
    return shown if len(text) <= limit else f"{shown}…"


Receive = Callable[[str, bytes, Any], Received]


def _inbound_endpoint(what: str, receive: Receive, limit: int) -> Callable[[Request], Any]:
    """A heartbeat or webhook route: the capped body, then `receive(key, body, headers)`."""

    async def inbound(request: Request) -> Response:
        key = f"{request.path_params['integration']}/{request.path_params['probe']}"
        try:
            body = await _body_within(request, limit)
        except ClientDisconnect:  # gone (or cut off by the read timeout): nobody reads this
            return Response(status_code=400)
        if body is None:
            return JSONResponse(
                {"ok": False, "error": f"body over {limit // 1024} KiB"}, 413)
        outcome = receive(key, body, request.headers)
        if outcome.error is not None:
            # An unknown probe is answered exactly like a bad signature; only the log tells.
            shown = key if outcome.known else f"{_printable(key)} (no such {what} probe)"
            log.warning("%s %s rejected (%d): %s", what, shown, outcome.status, outcome.error,
                        extra={RATE_LIMIT_KEY: (f"{what} rejected",
                                                key if outcome.known else None)})
            return JSONResponse({"ok": False, "error": outcome.error}, outcome.status)
        return JSONResponse({"ok": True})

    return inbound


def build_app(registry: Any, health: Callable[[], dict[str, Any]],
              heartbeats: HeartbeatRegistry | None = None,
              webhooks: WebhookReceiver | None = None) -> Starlette:
    async def healthz(request: Request) -> Response:
        report = health()
        return JSONResponse(report, status_code=200 if report.get("ok") else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
    if heartbeats is not None:
        routes.append(Route("/heartbeat/{integration}/{probe}",
                            _inbound_endpoint("heartbeat", heartbeats.receive, MAX_BODY),
                            methods=["GET", "POST"]))
    if webhooks is not None:
        routes.append(Route("/webhook/{integration}/{probe}",
                            _inbound_endpoint("webhook", webhooks.receive, MAX_WEBHOOK_BODY),
                            methods=["POST"]))
    return Starlette(routes=routes)


# ---------------------------------------------------------------------- the connections


def _raw_response(status: str, error: str) -> bytes:
    body = ('{"ok": false, "error": "' + error + '"}').encode()
    return (f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


_TOO_MANY = _raw_response("503 Service Unavailable", "too many connections")
_TIMED_OUT = _raw_response("408 Request Timeout", "request not received in time")
_RECEIVING = (h11.IDLE, h11.SEND_BODY)  # the client's side of a request not yet complete


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a connection cap and a deadline on reading each request.

    uvicorn only times out idle keep-alive connections: one that never finishes its headers or
    body stays open forever. Here a deadline starts with the connection (or with the first byte
    of a later request on it) and ends when the request is complete; when it passes, the client
    gets 408 (if nothing was answered yet) and the connection is closed."""

    limits: ClassVar[ListenerLimits] = ListenerLimits()
    _deadline: asyncio.TimerHandle | None = None
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refused = True
            log.warning("listener connection refused: %d connections open (the limit)",
                        self.limits.max_connections, extra={RATE_LIMIT_KEY: "connection cap"})
            self.transport.write(_TOO_MANY)
            self.transport.close()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._deadline is None and not self.transport.is_closing():
            self._arm()
        super().data_received(data)
        if self.conn.their_state not in _RECEIVING:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.limits.read_timeout_s, self._read_timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _read_timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or self.conn.their_state not in _RECEIVING:
            return
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):  # nothing answered yet
            self.transport.write(_TIMED_OUT)
        self.transport.close()


def _protocol_for(bound: ListenerLimits) -> type[GuardedH11Protocol]:
    class ListenerProtocol(GuardedH11Protocol):
        limits = bound

    return ListenerProtocol


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listener:
    def __init__(self, app: Starlette, sock: socket.socket,
                 limits: ListenerLimits | None = None) -> None:
        self.sock = sock
        self.limits = (limits or ListenerLimits()).for_process()
        config = uvicorn.Config(
            app, log_level="warning", log_config=None, lifespan="off", access_log=False,
            http=_protocol_for(self.limits), ws="none", backlog=self.limits.backlog,
            timeout_keep_alive=self.limits.keep_alive_s,
            h11_max_incomplete_event_size=self.limits.max_header_bytes,
        )
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    @property
    def open_connections(self) -> int:
        return len(self._server.server_state.connections)

    def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self.sock.close()
