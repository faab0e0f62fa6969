"""probes.http.netbackend (the asyncio httpcore backend) against real loopback servers: requests,
keep-alive, TLS, timeouts, and the exceptions httpcore and probes.classify rely on."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpcore
import httpx
import pytest

from core.errors import exception_chain
from probes.classify import classify_exception
from probes.http.client import build_client, network_backend, ssl_context
from probes.http.netbackend import AsyncioBackend, AsyncioStream
from probes.http.tracing import PhaseTracer
from probes.spec import IntegrationSpec
from tests.probes.conftest import UNRESOLVABLE
from tests.support.servers import RawTcpServer, TlsFiles, UvicornThread
from tests.support.testapi import read_request_head

KEEP_ALIVE_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _spec(base_url: str, **extra: object) -> IntegrationSpec:
    return IntegrationSpec.model_validate({
        "name": "it", "base_url": base_url,
        "probes": [{"name": "placeholder", "type": "tcp", "host": "127.0.0.1", "port": 1}],
        **extra,
    })


def _client(base_url: str, tmp_path: Path, timeout_s: float = 5.0, **extra: object
            ) -> httpx.AsyncClient:
    return build_client(_spec(base_url, **extra), tmp_path, max_connections=4,
                        timeout_s=timeout_s)


def _causes(exc: BaseException) -> list[type[BaseException]]:
    return [type(inner) for inner in exception_chain(exc)]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown: lets blocked raw-server handlers finish."""
    event = threading.Event()
    yield event
    event.set()


# ----------------------------------------------------------------------- through httpx


def test_build_client_uses_the_asyncio_backend(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pool = _client("http://127.0.0.1:1", tmp_path)._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, AsyncioBackend)
    assert isinstance(network_backend(), AsyncioBackend)
    monkeypatch.setenv("SEAMWATCH_NET_BACKEND", "anyio")
    assert network_backend() is None
    pool = _client("http://127.0.0.1:1", tmp_path)._transport._pool  # type: ignore[attr-defined]
    assert not isinstance(pool._network_backend, AsyncioBackend)


async def test_plain_request_and_keep_alive_reuse(api_server: UvicornThread,
                                                  tmp_path: Path) -> None:
    async with _client(api_server.url, tmp_path) as client:
        streams = []
        tracers = []
        for _ in range(2):
            tracer = PhaseTracer()
            response = await client.get("/v1/items", extensions={"trace": tracer})
            assert response.status_code == 200
            response.json()
            stream = response.extensions["network_stream"]
            streams.append(stream.get_extra_info("client_addr"))
            tracers.append(tracer)
    assert "connection.connect_tcp.complete" in tracers[0].marks
    assert "connection.connect_tcp.started" not in tracers[1].marks  # the connection was reused
    assert streams[0] == streams[1] and streams[0][0] == "127.0.0.1"
    phases = tracers[0].phases()
    assert phases.connect_ms is not None and phases.ttfb_ms is not None
    assert phases.tls_ms is None


async def test_tls_request_with_trustme_ca(tls_server: UvicornThread, tls_good: TlsFiles,
                                           tmp_path: Path) -> None:
    async with _client(tls_server.url, tmp_path, ca_file=str(tls_good.ca_pem)) as client:
        tracer = PhaseTracer()
        response = await client.get("/v1/items", extensions={"trace": tracer})
        assert response.status_code == 200
        stream = response.extensions["network_stream"]
        ssl_object = stream.get_extra_info("ssl_object")
        assert ssl_object is not None and ssl_object.getpeercert(binary_form=True)
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", tls_server.port)
        assert tracer.new_tls_connection and tracer.phases().tls_ms is not None
        again = PhaseTracer()
        assert (await client.get("/v1/items", extensions={"trace": again})).status_code == 200
        assert not again.new_tls_connection  # TLS connection kept alive and reused


async def test_large_body_with_flow_control(api_server: UvicornThread, tmp_path: Path) -> None:
    async with _client(api_server.url, tmp_path) as client:
        response = await client.get("/huge", params={"mb": 3})
    assert response.status_code == 200 and len(response.content) == 3 * 1024 * 1024


async def test_dropped_keep_alive_connection_is_not_reused(tmp_path: Path) -> None:
    """The server answers one request per connection and then hangs up without saying so: the
    pool sees the closed idle connection through `is_readable` and opens a new one."""
    served = threading.Semaphore(0)

    def one_then_close(conn: socket.socket) -> None:
        read_request_head(conn)
        conn.sendall(KEEP_ALIVE_RESPONSE)
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()
        served.release()

    with RawTcpServer(one_then_close) as server:
        async with _client(server.url, tmp_path) as client:
            first = await client.get("/")
            assert await asyncio.to_thread(served.acquire, True, 10)
            tracer = PhaseTracer()
            second = await client.get("/", extensions={"trace": tracer})
    assert first.content == second.content == b"ok"
    assert "connection.connect_tcp.complete" in tracer.marks


# --------------------------------------------------------------------- the backend itself


async def test_is_readable_after_peer_closes_idle_connection(release: threading.Event) -> None:
    closed = threading.Event()

    def answer_then_close_on_release(conn: socket.socket) -> None:
        read_request_head(conn)
        conn.sendall(KEEP_ALIVE_RESPONSE)
        release.wait(10)
        conn.close()
        closed.set()

    with RawTcpServer(answer_then_close_on_release) as server:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port, timeout=5)
        try:
            await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=5)
            data = b""
            while not data.endswith(b"ok"):
                data += await stream.read(65536, timeout=5)
            assert stream.get_extra_info("is_readable") is False  # idle and open
            release.set()
            assert await asyncio.to_thread(closed.wait, 10)
            assert stream.get_extra_info("is_readable") is True
            assert await stream.read(65536, timeout=5) == b""
        finally:
            await stream.aclose()


async def test_extra_info_socket_options_and_local_address(api_server: UvicornThread) -> None:
    keepalive = (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    stream = await AsyncioBackend().connect_tcp(
        "localhost", api_server.port, local_address="127.0.0.1", socket_options=[keepalive]
    )
    try:
        assert isinstance(stream, AsyncioStream)
        sock = stream.get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
        assert stream.get_extra_info("server_addr") == ("127.0.0.1", api_server.port)
        assert stream.get_extra_info("ssl_object") is None
        assert stream.get_extra_info("no such thing") is None
    finally:
        await stream.aclose()


async def test_refused_is_connect_error_chained_to_refused(closed_port: int) -> None:
    with pytest.raises(httpcore.ConnectError) as caught:
        await AsyncioBackend().connect_tcp("127.0.0.1", closed_port, timeout=5)
    assert ConnectionRefusedError in _causes(caught.value)
    assert classify_exception(caught.value).reason == "refused"


async def test_dns_failure_is_connect_error_chained_to_gaierror() -> None:
    with pytest.raises(httpcore.ConnectError) as caught:
        await AsyncioBackend().connect_tcp(UNRESOLVABLE, 80, timeout=5)
    assert socket.gaierror in _causes(caught.value)
    assert classify_exception(caught.value).reason == "dns_failure"


async def test_connect_timeout(full_backlog_port: int) -> None:
    with pytest.raises(httpcore.ConnectTimeout) as caught:
        await AsyncioBackend().connect_tcp("127.0.0.1", full_backlog_port, timeout=0.3)
    assert TimeoutError in _causes(caught.value)


async def test_read_timeout(never_answer_server: RawTcpServer) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", never_answer_server.port)
    try:
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(httpcore.ReadTimeout) as caught:
            await stream.read(65536, timeout=0.2)
        assert TimeoutError in _causes(caught.value)
    finally:
        await stream.aclose()


async def test_write_timeout_when_the_peer_never_reads(release: threading.Event) -> None:
    with RawTcpServer(lambda conn: release.wait(10) and None) as server:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
        try:
            with pytest.raises(httpcore.WriteTimeout):
                await stream.write(b"x" * (64 * 1024 * 1024), timeout=0.2)
        finally:
            await stream.aclose()


async def test_read_after_reset_is_read_error_chained_to_reset(reset_server: RawTcpServer
                                                               ) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", reset_server.port)
    try:
        await stream.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(httpcore.ReadError) as caught:
            await stream.read(65536, timeout=5)
        assert ConnectionResetError in _causes(caught.value)
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"more", timeout=5)
    finally:
        await stream.aclose()


async def test_start_tls(tls_server: UvicornThread, tls_good: TlsFiles) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", tls_server.port)
    tls = await stream.start_tls(ssl_context(str(tls_good.ca_pem)), "localhost", timeout=5)
    try:
        assert isinstance(tls.get_extra_info("ssl_object"), ssl.SSLObject)
        await tls.write(b"GET /v1/items HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := await tls.read(65536, timeout=5):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200")
    finally:
        await tls.aclose()


@pytest.mark.parametrize(("server", "reason"), [
    ("untrusted_server", "cert_untrusted"),
    ("expired_server", "cert_expired"),
    ("wronghost_server", "cert_hostname_mismatch"),
])
async def test_tls_failures_are_connect_errors(server: str, reason: str, ca_pem_for: Path,
                                               request: pytest.FixtureRequest) -> None:
    target: UvicornThread = request.getfixturevalue(server)
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", target.port)
    with pytest.raises(httpcore.ConnectError) as caught:
        await stream.start_tls(ssl_context(str(ca_pem_for)), "localhost", timeout=5)
    assert ssl.SSLCertVerificationError in _causes(caught.value)
    assert classify_exception(caught.value).reason == reason
    assert stream.get_extra_info("is_readable") is True  # closed after the failed handshake


async def test_tls_handshake_timeout(never_answer_server: RawTcpServer, ca_pem_for: Path
                                     ) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", never_answer_server.port)
    with pytest.raises(httpcore.ConnectTimeout):
        await stream.start_tls(ssl_context(str(ca_pem_for)), "localhost", timeout=0.2)


async def test_peer_hanging_up_mid_handshake_is_an_ssl_eof(release: threading.Event,
                                                             ca_pem_for: Path) -> None:
    """Read the ClientHello, then send FIN: anyio's TLS stream reports an SSLEOFError (asyncio
    itself only a bare ConnectionResetError); the backend reports the same as anyio."""
    def hang_up_after_client_hello(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.shutdown(socket.SHUT_WR)
        release.wait(10)

    with RawTcpServer(hang_up_after_client_hello) as server:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
        with pytest.raises(httpcore.ConnectError) as caught:
            await stream.start_tls(ssl_context(str(ca_pem_for)), "localhost", timeout=5)
    assert ssl.SSLEOFError in _causes(caught.value)
    failure = classify_exception(caught.value)
    assert (failure.category, failure.reason) == ("tls", "tls_handshake")
    assert "UNEXPECTED_EOF_WHILE_READING" in failure.message


@pytest.fixture
def ca_pem_for(tls_good: TlsFiles) -> Path:
    """The session CA (the one that signed the good, expired and wrong-host certificates)."""
    return tls_good.ca_pem
