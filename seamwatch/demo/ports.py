"""Binding the demo's listening sockets ourselves, so a port in use is a clear error naming the
port (uvicorn and aiosmtpd would log and exit, or fail deep inside a thread)."""

from __future__ import annotations

import errno
import socket

from seamwatch.errors import UserError


class PortInUseError(UserError, OSError):
    """A demo server could not listen because its port is taken: a UserError for the CLI (exit 2,
    one line naming the port) and still an OSError (EADDRINUSE) for code that binds sockets."""

    def __init__(self, host: str, port: int, what: str, hint: str | None = None) -> None:
        message = f"port {port} on {host} is already in use, so the {what} cannot listen there"
        if hint:
            message += f"; {hint}"
        super().__init__(errno.EADDRINUSE, message)
        self.host = host
        self.port = port
        self.what = what

    def __str__(self) -> str:
        return str(self.strerror)


def bind_socket(host: str, port: int, what: str, hint: str | None = None) -> socket.socket:
    """A listening TCP socket on host:port (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # SO_REUSEADDR lets a restarted demo reuse a port in TIME_WAIT; it does not allow two
        # listeners on one port on Linux.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port, what, hint) from exc
        raise
    sock.setblocking(False)
    return sock
