"""The sandbox integration of `seamwatch demo`: a SaaS-like API on loopback with OAuth2 client
credentials, a `/v1/customers` resource, rate-limit headers and a repeating fault schedule.

- `create_sandbox_app(...)` — the Starlette app (its state: `app.state.sandbox`, a `Sandbox`);
- `await serve_sandbox(host, port, stop)` — serve it inside the caller's event loop until `stop`
  is set (uvicorn's own signal handling is left out: the caller owns Ctrl-C);
- `run_sandbox(host, port)` — serve it from a background thread; returns a `SandboxHandle`.

A port in use raises `PortInUseError` naming the port, before anything starts. The behaviour
itself lives in `api.py`, the schedule in `faults.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from seamwatch.demo.api import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Sandbox
from seamwatch.demo.faults import DEFAULT_PHASES, PHASE_KINDS, FaultSchedule, Phase
from seamwatch.demo.ports import PortInUseError, bind_socket

WHAT = "demo sandbox API"


def create_sandbox_app(
    *,
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    clock: Callable[[], float] = time.monotonic,
    speed: float = 1.0,
    schedule: FaultSchedule | None = None,
    token_lifetime_s: float = 300.0,
    rate_limit: int = 120,
    rate_window_s: float = 60.0,
    latency_s: float = 1.5,
) -> Starlette:
    """The sandbox app. `speed` shortens the default 12-minute fault cycle (2.0 = 6 minutes);
    `schedule` replaces it (build one with `FaultSchedule.from_lengths(..., clock)`)."""
    sandbox = Sandbox(
        client_id=client_id, client_secret=client_secret, clock=clock, schedule=schedule,
        speed=speed, token_lifetime_s=token_lifetime_s, rate_limit=rate_limit,
        rate_window_s=rate_window_s, latency_s=latency_s,
    )
    return sandbox.app


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers (the demo command handles Ctrl-C), telling when it
    accepts connections."""

    def __init__(self, config: uvicorn.Config,
                 on_ready: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.on_ready = on_ready

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self.ready.set()
            if self.on_ready is not None:
                self.on_ready()


def _server(app: Starlette, on_ready: Callable[[], None] | None = None) -> _Server:
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=2)
    return _Server(config, on_ready)


async def _serve_socket(server: _Server, sock: socket.socket, stop: asyncio.Event) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stopper = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        stopper.cancel()
        await task  # graceful: requests in flight finish (bounded by the shutdown timeout)
        sock.close()


async def serve_sandbox(
    host: str,
    port: int,
    stop: asyncio.Event,
    app: Starlette | None = None,
    on_ready: Callable[[int], None] | None = None,
    hint: str | None = None,
) -> None:
    """Serve the sandbox (or `app`) on host:port until `stop` is set. `on_ready(port)` is called
    once it accepts connections (useful with port 0); `hint` is added to a port-in-use error,
    e.g. "set SEAMWATCH_DEMO_API_PORT to use another"."""
    sock = bind_socket(host, port, WHAT, hint)
    bound = int(sock.getsockname()[1])
    server = _server(app or create_sandbox_app(),
                     None if on_ready is None else lambda: on_ready(bound))
    await _serve_socket(server, sock, stop)


@dataclass
class SandboxHandle:
    """A sandbox served from a background thread; `stop()` shuts it down and waits."""

    host: str
    port: int
    app: Starlette
    _thread: threading.Thread
    _loop: asyncio.AbstractEventLoop
    _stop: asyncio.Event

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def sandbox(self) -> Sandbox:
        sandbox: Sandbox = self.app.state.sandbox
        return sandbox

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_sandbox(host: str = "127.0.0.1", port: int = 0, app: Starlette | None = None,
                hint: str | None = None, timeout: float = 10.0) -> SandboxHandle:
    """Serve the sandbox (or `app`) from a daemon thread; returns once it accepts connections."""
    sock = bind_socket(host, port, WHAT, hint)
    app = app or create_sandbox_app()
    server = _server(app)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(_serve_socket(server, sock, stop))
        finally:
            server.ready.set()  # wake the caller if startup failed
            loop.close()

    thread = threading.Thread(target=run, name="seamwatch-sandbox", daemon=True)
    thread.start()
    if not server.ready.wait(timeout) or not server.started:
        raise RuntimeError(f"the {WHAT} did not start on {host}:{port}")
    return SandboxHandle(host, int(sock.getsockname()[1]), app, thread, loop, stop)


__all__ = [
    "DEFAULT_PHASES", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "PHASE_KINDS", "FaultSchedule",
    "Phase", "PortInUseError", "Sandbox", "SandboxHandle", "create_sandbox_app", "run_sandbox",
    "serve_sandbox",
]
