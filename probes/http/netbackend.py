"""A lean asyncio-native network backend for httpcore, instead of its anyio `AutoBackend`.

anyio costs a happy-eyeballs task group per connection, a cancel scope and a pause/resume of
reading per receive. Here `connect_tcp` resolves with the loop's `getaddrinfo` and tries the
addresses in order; an `asyncio.Protocol` buffers what the transport reads, `read` only arms a
timer when it has to wait; `start_tls` is `loop.start_tls` on the same transport.

Errors map like httpcore's anyio backend: timeouts -> Connect/Read/WriteTimeout; OSError on
connect or a failed TLS handshake -> ConnectError, on read -> ReadError, on write -> WriteError,
each caused by the original error so `probes.classify` still finds the SSLCertVerificationError,
ConnectionRefusedError, gaierror... (all addresses failing: anyio's "All connection attempts
failed" OSError, from the one error or an ExceptionGroup of several).

`probes.http.client.build_client` uses this backend; `SEAMWATCH_NET_BACKEND=anyio` switches back to
httpcore's default (anyio) backend, e.g. to compare figures with `python -m bench engine`.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Awaitable, Iterable
from ipaddress import ip_address
from typing import Any, TypeVar, cast

import httpcore
from httpcore._backends.base import SOCKET_OPTION
from httpcore._utils import is_socket_readable

_HIGH_WATER, _LOW_WATER = 512 * 1024, 128 * 1024  # unread bytes that pause / resume reading
_T = TypeVar("_T")


class _Protocol(asyncio.Protocol):
    """Buffers received chunks for one `read` waiter; records EOF and the error that ended it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.size = 0
        self.eof = False
        self.exc: BaseException | None = None
        self.waiter: asyncio.Future[bool] | None = None  # a read waiting for data
        self.drain: asyncio.Future[bool] | None = None  # set while writing is paused
        self.reading_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.size += len(data)
        if self.size > _HIGH_WATER and not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()
        _wake(self.waiter, True)

    def eof_received(self) -> bool | None:
        self.eof = True
        _wake(self.waiter, True)
        return None  # let the transport close itself (HTTP never half-closes)

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.exc = exc
        _wake(self.waiter, True)
        _wake(self.drain, True)

    def pause_writing(self) -> None:
        self.drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self.drain, True)
        self.drain = None


def _wake(fut: asyncio.Future[bool] | None, value: bool) -> None:
    if fut is not None and not fut.done():
        fut.set_result(value)


async def _wait(fut: asyncio.Future[bool], timeout: float | None) -> bool:
    """Await `fut`; False when `timeout` passed first (a timer, cheaper than asyncio.timeout)."""
    if timeout is None:
        return await fut
    handle = asyncio.get_running_loop().call_later(timeout, _wake, fut, False)
    try:
        return await fut
    finally:
        handle.cancel()


def _error(cls: type[Exception], exc: BaseException) -> Exception:
    """`cls(exc)` caused by `exc`, with `exc` as its context too: httpcore's pool re-raises with
    `from None`, dropping the cause, and classify then follows the context (as with anyio)."""
    error = cls(exc)
    error.__cause__ = error.__context__ = exc
    return error


def _handshake_error(exc: BaseException) -> BaseException:
    """anyio's mapping for a failed `start_tls`. asyncio reports a peer hanging up mid-handshake
    as a bare ConnectionResetError; anyio's TLS stream sees the SSLEOFError, so report that."""
    if isinstance(exc, TimeoutError):
        return _error(httpcore.ConnectTimeout, exc)
    if not isinstance(exc, OSError):
        return exc
    if type(exc) is ConnectionResetError and exc.errno is None:
        eof = ssl.SSLEOFError(ssl.SSL_ERROR_EOF, "EOF occurred in violation of protocol")
        eof.reason = "UNEXPECTED_EOF_WHILE_READING"
        eof.__context__ = exc
        exc = eof
    return _error(httpcore.ConnectError, exc)


async def _within(timeout: float | None, aw: Awaitable[_T]) -> _T:
    if timeout is None:
        return await aw
    async with asyncio.timeout(timeout):
        return await aw


class AsyncioStream(httpcore.AsyncNetworkStream):
    """A connected TCP (or TLS) transport with its `_Protocol`."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._closed = False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        proto = self._protocol
        if not proto.chunks:
            if self._closed:
                raise httpcore.ReadError("the stream is closed")
            if proto.exc is not None:
                raise _error(httpcore.ReadError, proto.exc)
            if proto.eof:
                return b""
            waiter = proto.waiter = asyncio.get_running_loop().create_future()
            try:
                arrived = await _wait(waiter, timeout)
            finally:
                proto.waiter = None
            if not arrived:
                raise _error(httpcore.ReadTimeout, TimeoutError())
            if not proto.chunks:
                if proto.exc is not None:
                    raise _error(httpcore.ReadError, proto.exc)
                return b""
        chunk = proto.chunks[0]
        if len(chunk) <= max_bytes:
            proto.chunks.popleft()
        else:
            proto.chunks[0] = chunk[max_bytes:]
            chunk = chunk[:max_bytes]
        proto.size -= len(chunk)
        if proto.reading_paused and proto.size <= _LOW_WATER:
            proto.reading_paused = False
            self._transport.resume_reading()
        return chunk

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        proto = self._protocol
        if self._closed:
            raise httpcore.WriteError("the stream is closed")
        if proto.exc is not None:
            raise _error(httpcore.WriteError, proto.exc)
        self._transport.write(buffer)  # a lost connection shows on the next read (as in anyio)
        drain = proto.drain
        if drain is not None and not await _wait(drain, timeout):
            raise _error(httpcore.WriteTimeout, TimeoutError())

    async def aclose(self) -> None:
        # As anyio's for HTTP (tls_standard_compatible=False): no TLS close_notify, no lingering.
        if not self._closed:
            self._closed = True
            self._transport.abort()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        proto = self._protocol
        try:
            if proto.eof:  # the peer hung up before the handshake could start
                raise ConnectionResetError()
            transport = await _within(timeout, loop.start_tls(
                self._transport, proto, ssl_context, server_hostname=server_hostname
            ))
        except BaseException as exc:
            await self.aclose()
            error = _handshake_error(exc)
        else:
            assert transport is not None
            proto.transport = transport
            return AsyncioStream(transport, proto)
        raise error  # outside the except block, so the context set by _error stays

    def get_extra_info(self, info: str) -> Any:
        transport = self._transport
        if info in ("ssl_object", "socket"):
            return transport.get_extra_info(info)
        if info in ("client_addr", "server_addr"):
            sockaddr = transport.get_extra_info("sockname" if info == "client_addr" else "peername")
            # (host, port) like anyio's SocketAttribute addresses (IPv6 flowinfo/scope dropped)
            return sockaddr[:2] if isinstance(sockaddr, tuple) else sockaddr
        if info == "is_readable":
            # The loop reads eagerly, so a peer that closed an idle keep-alive connection (or sent
            # anything) usually shows here first; the poll covers what it has not read yet.
            proto = self._protocol
            if proto.chunks or proto.eof or self._closed:
                return True
            return is_socket_readable(transport.get_extra_info("socket"))
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore network backend on plain asyncio transports (see the module docstring)."""

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await _mapped(timeout, _connect_tcp(host, port, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await _mapped(timeout, _connect(socket.AF_UNIX, path, None, socket_options))

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _mapped(timeout: float | None, connecting: Awaitable[AsyncioStream]) -> AsyncioStream:
    try:
        return await _within(timeout, connecting)
    except TimeoutError as exc:  # before OSError: TimeoutError is one
        raise httpcore.ConnectTimeout(exc) from exc
    except OSError as exc:
        raise httpcore.ConnectError(exc) from exc


async def _connect_tcp(host: str, port: int, local_address: str | None,
                       socket_options: Iterable[SOCKET_OPTION] | None) -> AsyncioStream:
    loop = asyncio.get_running_loop()
    family: int = socket.AF_UNSPEC
    local: Any = None
    if local_address:
        info = await loop.getaddrinfo(local_address, None, type=socket.SOCK_STREAM)
        family, local = info[0][0], info[0][4]
    targets: list[tuple[int, Any]]
    try:
        literal = ip_address(host)
    except ValueError:
        # ASCII names go to getaddrinfo as bytes, as anyio does (no Python IDNA codec).
        name: str | bytes = host.encode("ascii") if host.isascii() else host
        infos = await loop.getaddrinfo(name, port, family=family, type=socket.SOCK_STREAM)
        targets = [(info[0], info[4]) for info in infos]
    else:
        targets = [(socket.AF_INET6 if literal.version == 6 else socket.AF_INET,
                    (literal.compressed, port))]
    errors: list[OSError] = []
    for af, sockaddr in targets:
        try:
            return await _connect(af, sockaddr, local, socket_options)
        except OSError as exc:
            errors.append(exc)
    cause = errors[0] if len(errors) == 1 else ExceptionGroup(
        "multiple connection attempts failed", errors
    )
    raise OSError("All connection attempts failed") from cause


async def _connect(family: int, sockaddr: Any, local: Any,
                   options: Iterable[SOCKET_OPTION] | None) -> AsyncioStream:
    loop = asyncio.get_running_loop()
    # proto=IPPROTO_TCP: asyncio's transport only sets TCP_NODELAY on sockets that say TCP.
    sock = socket.socket(family, socket.SOCK_STREAM,
                         0 if family == socket.AF_UNIX else socket.IPPROTO_TCP)
    try:
        sock.setblocking(False)
        for option in options or ():
            sock.setsockopt(*option)
        if local is not None:
            sock.bind(local)
        await loop.sock_connect(sock, sockaddr)
        transport, protocol = await loop.create_connection(_Protocol, sock=sock)
    except BaseException:
        sock.close()
        raise
    return AsyncioStream(transport, protocol)
