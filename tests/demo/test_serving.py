"""run_sandbox (thread) and serve_sandbox (inside an event loop), and the port-in-use error."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import httpx
import pytest

from seamwatch.demo import PortInUseError, create_sandbox_app, run_sandbox, serve_sandbox


@pytest.fixture
def busy_port() -> Iterator[int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield int(sock.getsockname()[1])
    sock.close()


def test_run_sandbox_in_a_thread() -> None:
    with run_sandbox("127.0.0.1", 0) as handle:
        assert handle.port > 0
        assert handle.url == f"http://127.0.0.1:{handle.port}"
        status = httpx.get(f"{handle.url}/_sandbox/status", timeout=10)
        assert status.status_code == 200
        assert status.json()["phase"] == handle.sandbox.faults.now().phase.name
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{handle.url}/_sandbox/status", timeout=10)
    handle.stop()  # idempotent


def test_run_sandbox_port_in_use(busy_port: int) -> None:
    with pytest.raises(PortInUseError) as caught:
        run_sandbox("127.0.0.1", busy_port, hint="set SEAMWATCH_DEMO_API_PORT to use another")
    message = str(caught.value)
    assert str(busy_port) in message
    assert "sandbox" in message
    assert "SEAMWATCH_DEMO_API_PORT" in message
    assert caught.value.port == busy_port


async def test_serve_sandbox_inside_an_event_loop() -> None:
    stop = asyncio.Event()
    ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    app = create_sandbox_app(latency_s=0)
    task = asyncio.create_task(serve_sandbox("127.0.0.1", 0, stop, app=app,
                                             on_ready=ready.set_result))
    port = await asyncio.wait_for(ready, 10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        token = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                  auth=("seamwatch-demo", "demo-secret-not-for-production"))
        assert token.status_code == 200
    stop.set()
    await asyncio.wait_for(task, 10)
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the listening socket is closed


async def test_serve_sandbox_port_in_use(busy_port: int) -> None:
    with pytest.raises(PortInUseError, match=f"port {busy_port} on 127.0.0.1 is already in use"):
        await serve_sandbox("127.0.0.1", busy_port, asyncio.Event())
