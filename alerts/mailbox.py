"""The mailbox format: a folder of caught emails, written by the demo's mail catcher
(seamwatch/demo/mailcatcher.py) and read by the dashboard's Notifications page.

Each message is written to `<folder>/<UTC time>_<Message-ID>.eml` exactly as received, and one
JSON line is appended to `<folder>/messages.jsonl`: `time` (ISO 8601 UTC), `from`, `to` (the SMTP
envelope), `subject`, `message_id`, `path` (the .eml file's name, relative to the folder).
`list_messages(folder)` reads them back, newest first. Only the standard library is used, so
both sides can import it without pulling in an SMTP server or Streamlit.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

INDEX = "messages.jsonl"
# How a mailbox folder is handed to the dashboard process (`seamwatch dashboard --mailbox DIR`).
MAILBOX_ENV = "SEAMWATCH_MAILBOX"
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


# ------------------------------------------------------------------------------------- writing


def write_message(folder: Path, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> Path:
    """Store one message as received (`raw`, with its SMTP envelope) and index it; returns the
    .eml file's path. The folder must exist."""
    headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    message_id = str(headers.get("Message-ID", "") or "").strip()
    now = datetime.now(UTC)
    stem = now.strftime("%Y%m%dT%H%M%S.%fZ") + "_" + (
        _UNSAFE.sub("_", message_id.strip("<>"))[:80] or uuid.uuid4().hex)
    path = folder / f"{stem}.eml"
    counter = 1
    while path.exists():
        path = folder / f"{stem}-{counter}.eml"
        counter += 1
    partial = path.with_suffix(".part")
    partial.write_bytes(raw)
    os.replace(partial, path)  # a reader never sees half a message
    entry = {"time": now.isoformat(), "from": mail_from, "to": rcpt_tos,
             "subject": str(headers.get("Subject", "") or ""), "message_id": message_id,
             "path": path.name}
    with (folder / INDEX).open("a", encoding="utf-8") as index:
        index.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return path


# ------------------------------------------------------------------------------------- reading


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

