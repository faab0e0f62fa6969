"""Building the MIME message: text/plain and text/html alternatives, a stable Message-ID."""

from __future__ import annotations

import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr


def sender_domain(from_: str) -> str:
    address = parseaddr(from_)[1]
    return address.rpartition("@")[2] or "seamwatch.invalid"


def new_message_id(from_: str) -> str:
    """A globally unique Message-ID, generated once per outbox row and reused on every attempt."""
    return f"<seamwatch.{uuid.uuid4().hex}@{sender_domain(from_)}>"


def build_email(
    *,
    from_: str,
    to: list[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = from_
    msg["To"] = ", ".join(to)
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
