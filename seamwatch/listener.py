"""The small HTTP listener of `serve`: /healthz, /metrics (Prometheus text format) and the
inbound heartbeats of `heartbeat` probes (`POST` or `GET /heartbeat/<integration>/<probe>`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from probes.heartbeats import MAX_BODY, HeartbeatRegistry
from seamwatch.config import parse_listen
from seamwatch.errors import UserError

log = logging.getLogger("seamwatch.listener")


class ListenAddressInUse(UserError):
    exit_code = 2


def bind_socket(address: str) -> socket.socket:
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
    sock.listen(128)
    sock.setblocking(False)
    return sock


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


def _heartbeat_endpoint(heartbeats: HeartbeatRegistry) -> Callable[[Request], Any]:
    async def heartbeat(request: Request) -> Response:
        key = f"{request.path_params['integration']}/{request.path_params['probe']}"
        if heartbeats.spec(key) is None:
            return JSONResponse({"ok": False, "error": f"no heartbeat probe {key}"}, 404)
        body = await _body_within(request, MAX_BODY)
        if body is None:
            return JSONResponse(
                {"ok": False, "error": f"body over {MAX_BODY // 1024} KiB"}, 413)
        outcome = heartbeats.receive(key, body, request.headers)
        if outcome.error is not None:
            log.warning("heartbeat %s rejected (%d): %s", key, outcome.status, outcome.error)
            return JSONResponse({"ok": False, "error": outcome.error}, outcome.status)
        return JSONResponse({"ok": True})

    return heartbeat


def build_app(registry: Any, health: Callable[[], dict[str, Any]],
              heartbeats: HeartbeatRegistry | None = None) -> Starlette:
    async def healthz(request: Request) -> Response:
        report = health()
        return JSONResponse(report, status_code=200 if report.get("ok") else 503)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics)]
    if heartbeats is not None:
        routes.append(Route("/heartbeat/{integration}/{probe}", _heartbeat_endpoint(heartbeats),
                            methods=["GET", "POST"]))
    return Starlette(routes=routes)


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: `serve` owns SIGTERM/SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listener:
    def __init__(self, app: Starlette, sock: socket.socket) -> None:
        self.sock = sock
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = _QuietServer(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        host, port = self.sock.getsockname()[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.sock]))

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, timeout=5)
        self.sock.close()
