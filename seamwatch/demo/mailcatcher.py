"""A local mail catcher for `seamwatch demo`: an SMTP server on loopback that keeps every message.

Each message is stored in the mailbox format of alerts/mailbox.py (one .eml file and one index
line per message), which the dashboard's Notifications page reads with `list_messages(folder)`.

Run it with `start_mailcatcher(folder, host, port)` (a background thread; `.port`, `.stop()`) or
`await serve_mailcatcher(folder, host, port, stop)` inside an event loop. It accepts any AUTH
credentials, without TLS, so an `email.smtp` block with a username still delivers to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from alerts.mailbox import CaughtMessage, list_messages, write_message
from seamwatch.demo.ports import PortInUseError, bind_socket

MAIL_SUBDIR = "mail"
WHAT = "demo mail catcher"


class _Store:
    """aiosmtpd handler: one .eml file and one index line per message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if not raw and isinstance(envelope.content, bytes):
            raw = envelope.content
        write_message(self.folder, raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def _accept_any(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                auth_data: Any) -> AuthResult:
    return AuthResult(success=True)


def _factory(folder: Path) -> Callable[[], SMTP]:
    store = _Store(folder)
    return lambda: SMTP(store, hostname="seamwatch-mailcatcher", authenticator=_accept_any,
                        auth_require_tls=False, enable_SMTPUTF8=True)


async def serve_mailcatcher(folder: str | Path, host: str, port: int, stop: asyncio.Event,
                            on_ready: Callable[[int], None] | None = None,
                            hint: str | None = None) -> None:
    """Catch mail on host:port into `folder` until `stop` is set. Raises `PortInUseError`."""
    sock = bind_socket(host, port, WHAT, hint)
    server = await asyncio.get_running_loop().create_server(_factory(Path(folder)), sock=sock)
    try:
        if on_ready is not None:
            on_ready(int(sock.getsockname()[1]))
        await stop.wait()
    finally:
        server.close()
        await server.wait_closed()


@dataclass
class MailCatcher:
    """A mail catcher running in a background thread."""

    folder: Path
    host: str
    port: int
    _thread: threading.Thread
    _loop: asyncio.AbstractEventLoop
    _stop: asyncio.Event

    def stop(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)

    def messages(self) -> list[CaughtMessage]:
        return list_messages(self.folder)

    def __enter__(self) -> MailCatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_mailcatcher(folder: str | Path, host: str = "127.0.0.1", port: int = 8025,
                      hint: str | None = None) -> MailCatcher:
    """Start catching mail on host:port (0 = a free port) from a daemon thread."""
    folder = Path(folder)
    sock = bind_socket(host, port, WHAT, hint)  # raises PortInUseError in the caller's thread
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    ready = threading.Event()
    failure: list[BaseException] = []

    async def main() -> None:
        server = await loop.create_server(_factory(folder), sock=sock)
        ready.set()
        try:
            await stop.wait()
        finally:
            server.close()
            await server.wait_closed()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the starting thread
            failure.append(exc)
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=run, name="seamwatch-mailcatcher", daemon=True)
    thread.start()
    ready.wait(10)
    if failure or not thread.is_alive():
        sock.close()
        raise RuntimeError(f"the {WHAT} did not start on {host}:{port}") from (
            failure[0] if failure else None)
    return MailCatcher(folder, host, int(sock.getsockname()[1]), thread, loop, stop)


def mail_folder(data_dir: str | Path) -> Path:
    """Where the demo keeps caught mail under its data folder (`<data>/mail`); the demo command
    catches mail there and shows that folder on the dashboard's Notifications page."""
    return Path(data_dir) / MAIL_SUBDIR


__all__ = ["MailCatcher", "PortInUseError", "mail_folder", "serve_mailcatcher",
           "start_mailcatcher"]
