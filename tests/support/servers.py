"""Real servers on loopback for tests: an ASGI app under uvicorn in a thread, optionally TLS with
certificates from trustme, plus raw TCP servers for misbehaviour no HTTP framework will produce."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme
import uvicorn


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class TlsFiles:
    """A CA and a server certificate written to disk (paths usable from config files)."""

    ca: trustme.CA | None  # None for a chain made without trustme (tests/support/certchain.py)
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def make_tls_files(
    directory: Path,
    ca: trustme.CA | None = None,
    hostnames: tuple[str, ...] = ("localhost", "127.0.0.1"),
    not_after: Any = None,
    name: str = "server",
) -> TlsFiles:
    ca = ca or trustme.CA()
    kwargs: dict[str, Any] = {}
    if not_after is not None:
        kwargs["not_after"] = not_after
    cert = ca.issue_cert(*hostnames, **kwargs)
    directory.mkdir(parents=True, exist_ok=True)
    ca_pem = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_pem))
    cert_pem = directory / f"{name}.pem"
    key_pem = directory / f"{name}.key"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    for extra in cert.cert_chain_pems[1:]:
        with open(cert_pem, "ab") as fh:
            fh.write(extra.bytes())
    cert.private_key_pem.write_to_path(str(key_pem))
    return TlsFiles(ca=ca, ca_pem=ca_pem, cert_pem=cert_pem, key_pem=key_pem)


class UvicornThread:
    """Runs an ASGI app on 127.0.0.1:<free port> until stopped. `url` is its base URL."""

    def __init__(self, app: Callable[..., Any], tls: TlsFiles | None = None,
                 host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        kwargs: dict[str, Any] = {}
        if tls is not None:
            kwargs = {"ssl_certfile": str(tls.cert_pem), "ssl_keyfile": str(tls.key_pem)}
        config = uvicorn.Config(
            app, host=host, port=self.port, log_level="warning", lifespan="off",
            timeout_graceful_shutdown=1, **kwargs,
        )
        self.server = uvicorn.Server(config)
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self) -> UvicornThread:
        self._thread.start()
        started = threading.Event()

        def _wait() -> None:
            while not self.server.started and self._thread.is_alive():
                started.wait(0.01)

        _wait()
        if not self.server.started:
            raise RuntimeError("test server failed to start")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> UvicornThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class RawTcpServer:
    """A listening socket whose per-connection behaviour is a plain function (runs in a thread).

    Used for what HTTP servers will not do on request: accept and never answer, reset the
    connection, close mid-response, speak garbage."""

    def __init__(self, handler: Callable[[socket.socket], None], host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(128)
        self.host = host
        self.port = int(self.sock.getsockname()[1])
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.handler(conn)

    def start(self) -> RawTcpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.close()
        self.sock.close()

    def __enter__(self) -> RawTcpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client_ssl_context(ca_pem: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca_pem))
    return ctx


@contextlib.contextmanager
def serve(app: Callable[..., Any], tls: TlsFiles | None = None) -> Iterator[UvicornThread]:
    with UvicornThread(app, tls=tls) as server:
        yield server
