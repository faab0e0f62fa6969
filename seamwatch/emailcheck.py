"""`seamwatch test-email`: send one message through the configured SMTP server."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from alerts.message import build_email, new_message_id
from alerts.smtp import EmailDeliveryError, SmtpSession
from alerts.spec import EmailSpec
from core.redact import Redactor

__all__ = ["EmailDeliveryError", "send_test_email"]


async def send_test_email(email: EmailSpec, redactor: Redactor) -> str:
    """Send a test message to `email.to`; return a one-line success report.

    Raises EmailDeliveryError with a one-line, redacted message on refused connections, TLS
    failures, 530/535 login errors, timeouts and refused recipients, and before connecting when
    it would log in without encryption unasked (`security: none` with a username and no
    `allow_plaintext_auth: true`; a config file saying so is refused by `seamwatch check`).
    """
    if not email.to:
        raise EmailDeliveryError("email.to is empty: add at least one recipient")
    smtp = email.smtp
    now = datetime.now(UTC)
    text = (
        "This is a test message from seamwatch.\n\n"
        f"SMTP server: {smtp.host}:{smtp.port} (security: {smtp.security})\n"
        f"Dashboard: {email.dashboard_url}\n\n"
        "If you can read this, alert emails will reach you.\n"
    )
    body = html.escape(text).replace("\n", "<br>\n")
    msg = build_email(
        from_=email.from_,
        to=email.to,
        subject="[seamwatch] test email",
        text=text,
        html=f"<!doctype html><html><body><p>{body}</p></body></html>",
        message_id=new_message_id(email.from_),
        date=now,
    )
    async with SmtpSession(smtp, redactor) as session:
        await session.send(msg, list(email.to))
    login = f", logged in as {smtp.username}" if smtp.username else ""
    if login and smtp.security == "none":
        login += " without encryption (allow_plaintext_auth)"
    line = (
        f"sent a test email to {', '.join(email.to)} via {smtp.host}:{smtp.port} "
        f"({smtp.security}{login})"
    )
    return redactor.redact(line) or line
