"""A loopback HTTP "server" that answers with whatever bytes a test gives it: malformed status
lines, lying lengths, bombs, bad charsets. Built on tests.support.servers.RawTcpServer (a real
listening socket, one thread per connection)."""

from __future__ import annotations

import socket
import zlib
from collections.abc import Iterable

from tests.support.servers import RawTcpServer


def http_response(status: int, body: bytes, headers: Iterable[tuple[str, str]] = (),
                  *, length: bool = True) -> bytes:
    """A well-formed HTTP/1.1 response (Connection: close) with a Content-Length."""
    lines = [f"HTTP/1.1 {status} X", "Connection: close", *(f"{k}: {v}" for k, v in headers)]
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def gzip_bomb(mebibytes: int) -> bytes:
    """`mebibytes` MiB of zero bytes, gzip-compressed (about 1000:1), built a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    return b"".join([*(packer.compress(block) for _ in range(mebibytes)), packer.flush()])


class CannedServer:
    """Answers every connection with `response`, then ends its side (or, with `stall`, sends and
    keeps quiet with the connection open). Either way it then reads until the client hangs up, so
    the close is never a reset. Counts connections and records request targets. Use as a context
    manager."""

    def __init__(self, response: bytes = b"") -> None:
        self.response = response
        self.stall = False
        self.connections = 0
        self.paths: list[str] = []
        self._server = RawTcpServer(self._handle)

    @property
    def url(self) -> str:
        return self._server.url

    @property
    def port(self) -> int:
        return self._server.port

    def _handle(self, conn: socket.socket) -> None:
        self.connections += 1
        response, stall = self.response, self.stall
        try:
            target = _read_request(conn)
            if target is None:
                return
            self.paths.append(target)
            conn.sendall(response)
            if not stall:
                conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):
                pass
        finally:
            conn.close()

    def __enter__(self) -> CannedServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop()


def _read_request(conn: socket.socket) -> str | None:
    """Read one request (head and Content-Length body) from `conn`; its target, or None if the
    peer hung up first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                   if k.strip().lower() == "content-length" and v.strip().isdigit()), 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    first = lines[0].split(" ")
    return first[1] if len(first) > 1 else ""
