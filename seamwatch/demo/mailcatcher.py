"""A local mail catcher for `seamwatch demo`: an SMTP server on loopback that keeps every message.

Each message is written to `<folder>/<UTC time>_<Message-ID>.eml` exactly as received, and one
JSON line is appended to `<folder>/messages.jsonl`: `time` (ISO 8601 UTC), `from`, `to` (the SMTP
envelope), `subject`, `message_id`, `path` (the .eml file's name, relative to the folder).
`list_messages(folder)` reads them back (newest first) for the dashboard's Notifications page.

Run it with `start_mailcatcher(folder, host, port)` (a background thread; `.port`, `.stop()`) or
`await serve_mailcatcher(folder, host, port, stop)` inside an event loop. It accepts any AUTH
credentials, without TLS, so an `email.smtp` block with a username still delivers to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from seamwatch.demo.ports import PortInUseError, bind_socket

INDEX = "messages.jsonl"
MAIL_SUBDIR = "mail"
WHAT = "demo mail catcher"
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


@dataclass(frozen=True)
class CaughtMessage:
    """One caught email, as the Notifications page shows it."""

    path: Path
    received: datetime
    subject: str
    from_: str
    to: list[str]  # the To header's addresses
    recipients: list[str]  # the SMTP envelope's (includes Bcc)
    date: datetime | None  # the Date header
    message_id: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


class _Store:
    """aiosmtpd handler: one .eml file and one index line per message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if not raw and isinstance(envelope.content, bytes):
            raw = envelope.content
        self.save(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def save(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Path:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        message_id = str(headers.get("Message-ID", "") or "").strip()
        now = datetime.now(UTC)
        stem = now.strftime("%Y%m%dT%H%M%S.%fZ") + "_" + (
            _UNSAFE.sub("_", message_id.strip("<>"))[:80] or uuid.uuid4().hex)
        path = self.folder / f"{stem}.eml"
        counter = 1
        while path.exists():
            path = self.folder / f"{stem}-{counter}.eml"
            counter += 1
        partial = path.with_suffix(".part")
        partial.write_bytes(raw)
        os.replace(partial, path)  # a reader never sees half a message
        entry = {"time": now.isoformat(), "from": mail_from, "to": rcpt_tos,
                 "subject": str(headers.get("Subject", "") or ""), "message_id": message_id,
                 "path": path.name}
        with (self.folder / INDEX).open("a", encoding="utf-8") as index:
            index.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return path


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


# ------------------------------------------------------------------------------------- reading


def mail_folder(data_dir: str | Path) -> Path:
    """Where the demo keeps caught mail under its data folder (`<data>/mail`); the demo command
    and the dashboard's Notifications page both use this."""
    return Path(data_dir) / MAIL_SUBDIR


def _body(message: EmailMessage, kind: str) -> str:
    with contextlib.suppress(LookupError, ValueError, AttributeError):
        part = message.get_body(preferencelist=(kind,))
        if part is not None:
            return str(part.get_content())  # type: ignore[attr-defined]
    return ""


def _addresses(message: EmailMessage, name: str) -> list[str]:
    header = message.get(name)
    if header is None:
        return []
    addresses = getattr(header, "addresses", None)
    if addresses is None:
        return [str(header)]
    return [a.addr_spec for a in addresses]


def read_message(path: Path, entry: dict[str, Any] | None = None) -> CaughtMessage:
    """One .eml file (with its index entry, when known) as a CaughtMessage."""
    entry = entry or {}
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(message, EmailMessage)
    date_header = message.get("Date")
    date = getattr(date_header, "datetime", None)
    try:
        received = datetime.fromisoformat(str(entry["time"]))
    except (KeyError, ValueError):
        received = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return CaughtMessage(
        path=path, received=received, subject=str(message.get("Subject", "") or ""),
        from_=str(message.get("From", "") or entry.get("from", "")),
        to=_addresses(message, "To"), recipients=list(entry.get("to", [])),
        date=date if isinstance(date, datetime) else None,
        message_id=str(message.get("Message-ID", "") or ""),
        text=_body(message, "plain"), html=_body(message, "html"),
        headers={k: str(v) for k, v in message.items()},
    )


def list_messages(folder: str | Path, limit: int | None = None) -> list[CaughtMessage]:
    """The caught messages, newest first (`limit` of them). A folder never written to is empty;
    files named in the index but gone are skipped; .eml files missing from the index still show."""
    folder = Path(folder)
    entries: dict[str, dict[str, Any]] = {}
    index = folder / INDEX
    if index.exists():
        for line in index.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    entries[entry["path"]] = entry
    names = set(entries) | {p.name for p in folder.glob("*.eml")} if folder.is_dir() else set()
    messages: list[CaughtMessage] = []
    for name in names:
        path = folder / name
        if path.is_file():
            with contextlib.suppress(OSError):
                messages.append(read_message(path, entries.get(name)))
    messages.sort(key=lambda m: (m.received, m.path.name), reverse=True)
    return messages if limit is None else messages[:limit]


__all__ = ["CaughtMessage", "MailCatcher", "PortInUseError", "list_messages", "mail_folder",
           "read_message",
           "serve_mailcatcher", "start_mailcatcher"]
