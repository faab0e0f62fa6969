"""The `serve` listener: /healthz and /metrics over real HTTP, a clear error when its port is
taken, and its limits against clients that hold it open (real sockets on loopback)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from probes.heartbeats import SIGNATURE_HEADER, TIMESTAMP_HEADER, HeartbeatRegistry, sign
from probes.kinds.heartbeat import HeartbeatProbe
from seamwatch.listener import Listener, ListenerLimits, build_app
from seamwatch.webhooks import Endpoint, WebhookReceiver
from tests.support.cli import ROOT, ServeProcess, cli_env, run_cli, wait_until
from tests.support.listener import running_listener
from tests.support.servers import UvicornThread
from tests.support.testapi import TestApi


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def _config(folder: Path, api_url: str, listen: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "{listen}"}}
defaults: {{interval: 200ms, retries: 0}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
      - {{name: list, steps: [{{name: get, path: /v1/items}}]}}
      - {{name: broken, steps: [{{name: boom, path: /status/503}}]}}
""")
    return path


def test_healthz_and_metrics(tmp_path: Path, api_url: str) -> None:
    with ServeProcess(_config(tmp_path, api_url, "127.0.0.1:0")) as serve:
        line = serve.wait_for_log(r"listening on http://")
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match is not None
        base = match.group(0)

        def runs() -> int:
            with sqlite3.connect(tmp_path / "runs.db", timeout=10) as conn:
                return int(conn.execute("select count(*) from runs").fetchone()[0])

        wait_until(lambda: runs() >= 4, what="runs")
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["ok"] is True and body["probes"] == 2 and body["written"] >= 4
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        text = metrics.text
        assert 'seamwatch_probe_runs_total{category="",integration="shop",probe="list",' \
               'status="ok"}' in text
        assert 'category="server_error",integration="shop",probe="broken",status="failed"' in text
        assert 'seamwatch_probe_up{integration="shop",probe="broken"} 0.0' in text
        assert "seamwatch_start_lag_seconds_bucket" in text
        assert "\nseamwatch_writer_backlog " in text and "\nseamwatch_missed_runs_total " in text
        assert serve.terminate() == 0


def test_listen_port_in_use_is_a_clear_error(tmp_path: Path, api_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli(["serve", "-c", str(_config(tmp_path, api_url, f"127.0.0.1:{port}"))])
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "runner.listen" in result.stderr and "Traceback" not in result.stderr


# ------------------------------------------------------------------- holding the listener open

HALF_SENT = (
    b"",  # connected, nothing sent
    b"GET /healthz HTTP/1.1\r\nHost: seamwatch\r\nX-Slow:",  # headers never end
    b"POST /heartbeat/batch/job HTTP/1.1\r\nHost: seamwatch\r\nContent-Length: 1000\r\n"
    b"\r\n{\"partial\":",  # body never ends
    b"POST /webhook/batch/hook HTTP/1.1\r\nHost: seamwatch\r\nContent-Length: 5000\r\n"
    b"\r\n{\"event\":",  # a webhook's body never ends
)


def _health_of(listener: list[Listener]) -> dict[str, object]:
    return {"ok": True, "open": listener[0].open_connections if listener else None}


async def _connect(listener: Listener) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = listener.address.rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


async def _until(condition: Callable[[], bool], timeout: float = 30) -> None:
    """Poll an observable condition in the event loop (the deadline bounds a failing test)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_half_sent_requests_are_answered_408_and_closed_while_healthz_answers(
        caplog: pytest.LogCaptureFixture) -> None:
    """Before: uvicorn's defaults kept them open for ever (only idle keep-alive timed out)."""
    holder: list[Listener] = []
    limits = ListenerLimits(read_timeout_s=4.0, max_connections=500)
    heartbeats = HeartbeatRegistry()  # the endpoint reads the body of batch/job's heartbeat
    heartbeats.configure([("batch/job", HeartbeatProbe.model_validate(
        {"name": "job", "type": "heartbeat", "period": "1m"}))])
    webhooks = WebhookReceiver()
    webhooks.configure({"batch/hook": Endpoint(None, passive=False)})
    app = build_app(None, lambda: _health_of(holder), heartbeats, webhooks)
    uvicorn_errors = logging.getLogger("uvicorn.error")
    uvicorn_errors.addHandler(caplog.handler)  # uvicorn's own config may stop propagation
    async with running_listener(app, limits) as listener:
        holder.append(listener)
        held = [await _connect(listener) for _ in range(120)]
        for index, (_, writer) in enumerate(held):
            writer.write(HALF_SENT[index % len(HALF_SENT)])
            await writer.drain()
        async with httpx.AsyncClient(base_url=f"http://{listener.address}") as client:
            health = await client.get("/healthz")
        assert health.status_code == 200
        opened = health.json()["open"]
        assert isinstance(opened, int) and opened >= 120  # all held, and /healthz answered
        # The server ends every one of them: 408, then end of stream. The wait only bounds a
        # failing test (before the fix it ran out with every connection still open).
        answers = await asyncio.wait_for(
            asyncio.gather(*(reader.read() for reader, _ in held)), timeout=60)
        assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers[:3]
        for _, writer in held:
            writer.close()
        async with httpx.AsyncClient(base_url=f"http://{listener.address}") as client:
            assert (await client.get("/healthz")).status_code == 200
    uvicorn_errors.removeHandler(caplog.handler)
    assert "Exception in ASGI application" not in caplog.text  # a cut-off body is no bug


async def test_a_keep_alive_connection_gets_a_fresh_deadline_per_request() -> None:
    limits = ListenerLimits(read_timeout_s=2.0, keep_alive_s=30)
    async with running_listener(build_app(None, lambda: {"ok": True}), limits) as listener:
        reader, writer = await _connect(listener)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: seamwatch\r\n\r\n")
        first = await asyncio.wait_for(reader.readuntil(b'{"ok":true}'), timeout=30)
        assert first.startswith(b"HTTP/1.1 200 ")
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: seamwatch\r\n")  # never finished
        rest = await asyncio.wait_for(reader.read(), timeout=60)
        assert rest.startswith(b"HTTP/1.1 408 ")
        writer.close()


async def test_connections_beyond_the_cap_are_answered_503_and_closed() -> None:
    limits = ListenerLimits(read_timeout_s=120.0, max_connections=10)
    async with running_listener(build_app(None, lambda: {"ok": True}), limits) as listener:
        held = [await _connect(listener) for _ in range(10)]
        await _until(lambda: listener.open_connections == 10)
        reader, writer = await _connect(listener)
        refused = await asyncio.wait_for(reader.read(), timeout=30)
        assert refused.startswith(b"HTTP/1.1 503 ") and b"too many connections" in refused
        writer.close()
        async with httpx.AsyncClient(base_url=f"http://{listener.address}") as client:
            assert (await client.get("/healthz")).status_code == 503
            for _, held_writer in held[:5]:
                held_writer.close()
            await _until(lambda: listener.open_connections <= 5)
            assert (await client.get("/healthz")).status_code == 200
        for _, held_writer in held[5:]:
            held_writer.close()


def test_serve_raises_the_soft_open_file_limit_to_the_hard_limit() -> None:
    import resource

    from seamwatch.fdlimit import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard <= 512:
        pytest.skip(f"the hard open-file limit ({hard}) leaves nothing to raise")
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, hard))
        raised = raise_open_file_limit()
        now = resource.getrlimit(resource.RLIMIT_NOFILE)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert raised is not None and raised[0] == 512
    assert now[0] == raised[1] and now[0] > 512


# -------------------------------------------------------------- repeated log lines, collapsed

ACCEPT_ERRORS = r"""
import asyncio, os, resource, sys
from core.redact import Redactor
from seamwatch.logs import setup_logging

setup_logging(Redactor(), "INFO")
held = []


class Hold(asyncio.Protocol):
    def connection_made(self, transport):
        held.append(transport)


async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Hold, "127.0.0.1", 0, backlog=64)
    stop = loop.run_in_executor(None, sys.stdin.readline)  # the test says when to stop
    in_use = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 4, resource.getrlimit(
        resource.RLIMIT_NOFILE)[1]))
    print(server.sockets[0].getsockname()[1], flush=True)
    await stop

asyncio.run(main())
"""


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_accept_errors_out_of_file_descriptors_are_logged_once() -> None:
    """Before: asyncio logged an error per pending connection, per retry (150 MB in 20 s)."""
    child = subprocess.Popen([sys.executable, "-c", ACCEPT_ERRORS], cwd=ROOT, env=cli_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    clients: list[socket.socket] = []
    try:
        port = int(child.stdout.readline())
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        # The failing accepts all happen in one pass of the child's loop: once the first error
        # is logged, every line of that pass is in the pipe.
        seen = ""
        while "out of system resource" not in seen:
            line = child.stderr.readline()
            assert line, f"the child ended without an accept error:\n{seen}"
            seen += line
        child.stdin.close()
        stderr = seen + child.stderr.read()
        assert child.wait(timeout=60) == 0, stderr
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
        for client in clients:
            client.close()
    assert stderr.count("out of system resource") == 1, stderr[:3000]


def _base_url(serve: ServeProcess) -> str:
    match = re.search(r"http://[\d.]+:\d+", serve.wait_for_log(r"listening on http://"))
    assert match is not None
    return match.group(0)


def test_rejected_heartbeats_are_logged_once_per_probe(tmp_path: Path) -> None:
    """Before: one warning per rejected request, so anyone could fill the log."""
    secret = "hb-rate-limit-secret"
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:0"}}
integrations:
  - name: batch
    probes:
      - {{name: job, type: heartbeat, period: 1h, secret: "{secret}"}}
""")
    with ServeProcess(config) as serve, httpx.Client(base_url=_base_url(serve)) as client:
        for attempt in range(60):
            assert client.post("/heartbeat/batch/job", content=b"forged").status_code == 401
            assert client.post(f"/heartbeat/batch/ghost-{attempt}").status_code == 401
        stamp = str(int(time.time()))
        good = client.post("/heartbeat/batch/job", content=b"ok", headers={
            TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, b"ok", stamp)})
        assert good.status_code == 200
        assert serve.terminate() == 0
    assert serve.log.count("heartbeat batch/job rejected (401)") == 1, serve.log
    assert serve.log.count("no such heartbeat probe") == 1, serve.log
    assert secret not in serve.log
