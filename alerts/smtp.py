"""SMTP delivery with aiosmtplib: one connection per delivery pass, clear one-line errors.

Every error message is redacted (the server may echo the password back) and names the server, so
`seamwatch test-email` and the outbox's `last_error` column read the same way. A login without
encryption (`security: none` with a username) is refused before connecting unless the config
says `allow_plaintext_auth: true`.
"""

from __future__ import annotations

import asyncio
import ssl
from email.message import EmailMessage
from types import TracebackType

import aiosmtplib

from alerts.delivery import DeliveryError
from alerts.spec import PLAINTEXT_AUTH_REFUSED, SmtpSpec
from core.redact import Redactor


class EmailDeliveryError(DeliveryError):
    """A one-line, redacted explanation of why a message could not be delivered.

    `permanent` is True when the server refused this particular message for good (5xx to MAIL,
    RCPT or DATA): retrying it cannot help, while other messages may still go through.
    """


def tls_context(spec: SmtpSpec) -> ssl.SSLContext:
    """The verifying client context: the system store, or `ca_file` when set."""
    return ssl.create_default_context(cafile=spec.ca_file) if spec.ca_file else (
        ssl.create_default_context()
    )


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def describe_error(exc: BaseException, spec: SmtpSpec) -> EmailDeliveryError:
    """Map an aiosmtplib/OS/SSL exception to an EmailDeliveryError with a readable message."""
    where = f"{spec.host}:{spec.port}"
    cause: BaseException | None = exc
    chain: list[BaseException] = []
    while cause is not None and len(chain) < 5:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain):
        cert = next(e for e in chain if isinstance(e, ssl.SSLCertVerificationError))
        return EmailDeliveryError(
            f"TLS failure with {where}: certificate not trusted ({cert.verify_message}); "
            "set email.smtp.ca_file or fix the server certificate"
        )
    if any(isinstance(e, ssl.SSLError) for e in chain):
        tls_err = next(e for e in chain if isinstance(e, ssl.SSLError))
        hint = ""
        if spec.security == "ssl":
            hint = "; is the server speaking implicit TLS on this port? (try security: starttls)"
        return EmailDeliveryError(
            f"TLS failure with {where}: {tls_err.reason or _one_line(str(tls_err))}{hint}"
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        if exc.code == 530:
            return EmailDeliveryError(
                f"login to {where} refused (530 authentication required): "
                f"{_one_line(exc.message)}; set email.smtp.username and password"
            )
        return EmailDeliveryError(
            f"login to {where} refused ({exc.code} {_one_line(exc.message)}); "
            "check email.smtp.username and email.smtp.password"
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = {r.code for r in exc.recipients}
        text = "; ".join(f"{r.recipient}: {r.code} {_one_line(r.message)}" for r in exc.recipients)
        return EmailDeliveryError(
            f"{where} refused every recipient ({text})", permanent=min(codes, default=0) >= 500
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if exc.code == 530:
            return EmailDeliveryError(
                f"{where} requires authentication (530 {_one_line(exc.message)}); "
                "set email.smtp.username and password"
            )
        permanent = exc.code >= 500 and isinstance(
            exc, aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPDataError
        )
        return EmailDeliveryError(
            f"{where} answered {exc.code} {_one_line(exc.message)}", permanent=permanent
        )
    if any(isinstance(e, TimeoutError | asyncio.TimeoutError) for e in chain):
        return EmailDeliveryError(f"timed out after {spec.timeout:g}s talking to {where}")
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return EmailDeliveryError(f"cannot connect to {where}: connection refused")
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or "STARTTLS" in str(exc):
        return EmailDeliveryError(
            f"{where} does not offer STARTTLS ({_one_line(str(exc))}); "
            "use security: ssl or none to match the server"
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return EmailDeliveryError(f"{where} closed the connection: {_one_line(str(exc))}")
    if isinstance(exc, OSError):
        return EmailDeliveryError(
            f"cannot connect to {where}: {_one_line(exc.strerror or str(exc))}"
        )
    return EmailDeliveryError(f"sending through {where} failed: {_one_line(str(exc))}")


class SmtpSession:
    """`async with SmtpSession(spec, redactor) as s: await s.send(msg)` — connects (with the
    configured security), logs in when a username is set, and raises EmailDeliveryError only."""

    def __init__(self, spec: SmtpSpec, redactor: Redactor) -> None:
        self.spec = spec
        self.redactor = redactor
        password = spec.password.get_secret_value() if spec.password else None
        if password:
            redactor.add(password)
        self._password = password
        self._client = aiosmtplib.SMTP(
            hostname=spec.host,
            port=spec.port,
            timeout=spec.timeout,
            use_tls=spec.security == "ssl",
            start_tls=spec.security == "starttls",
            tls_context=tls_context(spec) if spec.security != "none" else None,
        )

    def _error(self, exc: BaseException) -> EmailDeliveryError:
        err = describe_error(exc, self.spec)
        err.message = self.redactor.redact(err.message) or err.message
        err.args = (err.message,)
        return err

    async def __aenter__(self) -> SmtpSession:
        if self.spec.plaintext_auth_refused:
            # the config loader refuses this already; a spec built another way is refused here,
            # before anything is sent
            raise EmailDeliveryError(
                f"not logging in to {self.spec.host}:{self.spec.port}: {PLAINTEXT_AUTH_REFUSED}"
            )
        try:
            await self._client.connect()
            if self.spec.username:
                await self._client.login(self.spec.username, self._password or "")
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            self._client.close()
            raise self._error(exc) from None
        return self

    async def send(self, message: EmailMessage, recipients: list[str]) -> None:
        try:
            await self._client.send_message(message, recipients=recipients)
        except (aiosmtplib.SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            raise self._error(exc) from None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client.is_connected:
            try:
                await self._client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                self._client.close()
