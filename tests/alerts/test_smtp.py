"""SMTP delivery and `seamwatch test-email` against real aiosmtpd servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from alerts.smtp import EmailDeliveryError
from core.redact import Redactor
from seamwatch.emailcheck import send_test_email
from tests.alerts.conftest import (
    PASSWORD,
    USER,
    SmtpServer,
    Tls,
    authenticator,
    email_spec,
    start_smtp,
)
from tests.support.servers import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def _check_parts(server: SmtpServer) -> None:
    assert len(server.collector.messages) == 1
    rcpts, msg = server.collector.messages[0]
    assert rcpts == ["oncall@example.test"]
    assert msg["Subject"] == "[seamwatch] test email"
    types = [part.get_content_type() for part in msg.walk()]
    assert "text/plain" in types and "text/html" in types
    assert msg["Message-ID"].startswith("<seamwatch.") and msg["Message-ID"].endswith(
        "@example.test>"
    )


async def test_plain_smtp(smtp_server: SmtpServer, redactor: Redactor) -> None:
    line = await send_test_email(email_spec(smtp_server.port), redactor)
    assert line.startswith("sent a test email to oncall@example.test via 127.0.0.1:")
    _check_parts(smtp_server)


@pytest.fixture
def starttls_server(tls: Tls) -> Iterator[SmtpServer]:
    server = start_smtp(tls_context=tls.server_context(), require_starttls=True,
                        authenticator=authenticator)
    yield server
    server.stop()


async def test_starttls_with_login(starttls_server: SmtpServer, tls: Tls,
                                   redactor: Redactor) -> None:
    spec = email_spec(starttls_server.port, smtp={
        "security": "starttls", "ca_file": str(tls.ca_file), "username": USER,
        "password": PASSWORD,
    })
    line = await send_test_email(spec, redactor)
    assert "(starttls, logged in as mailer)" in line
    _check_parts(starttls_server)


async def test_starttls_untrusted_certificate(starttls_server: SmtpServer,
                                              redactor: Redactor) -> None:
    spec = email_spec(starttls_server.port, smtp={"security": "starttls"})
    with pytest.raises(EmailDeliveryError, match=r"TLS failure with 127\.0\.0\.1:\d+: "
                       r"certificate not trusted .*set email\.smtp\.ca_file"):
        await send_test_email(spec, redactor)


async def test_implicit_tls(tls: Tls, redactor: Redactor) -> None:
    server = start_smtp(ssl_context=tls.server_context())
    try:
        spec = email_spec(server.port, smtp={"security": "ssl", "ca_file": str(tls.ca_file)})
        await send_test_email(spec, redactor)
        _check_parts(server)
    finally:
        server.stop()


@pytest.fixture
def auth_server() -> Iterator[SmtpServer]:
    server = start_smtp(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    yield server
    server.stop()


async def test_auth_success_plain_connection(auth_server: SmtpServer, redactor: Redactor) -> None:
    spec = email_spec(auth_server.port, smtp={"username": USER, "password": PASSWORD,
                                               "allow_plaintext_auth": True})
    await send_test_email(spec, redactor)
    _check_parts(auth_server)


async def test_auth_535_is_one_clear_line_without_the_password(auth_server: SmtpServer) -> None:
    wrong = "canary-wrong-secret-91c2"
    spec = email_spec(auth_server.port, smtp={"username": USER, "password": wrong,
                                               "allow_plaintext_auth": True})
    with pytest.raises(EmailDeliveryError) as info:
        await send_test_email(spec, Redactor())
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(f"login to 127.0.0.1:{auth_server.port} refused (535 ")
    assert "check email.smtp.username and email.smtp.password" in text
    assert wrong not in text
    assert auth_server.collector.messages == []


async def test_auth_required_530(auth_server: SmtpServer, redactor: Redactor) -> None:
    with pytest.raises(EmailDeliveryError, match=r"requires authentication \(530 .*"
                       r"set email\.smtp\.username and password"):
        await send_test_email(email_spec(auth_server.port), redactor)


async def test_refused_connection(redactor: Redactor) -> None:
    port = free_port()
    with pytest.raises(EmailDeliveryError,
                       match=rf"^cannot connect to 127\.0\.0\.1:{port}: connection refused$"):
        await send_test_email(email_spec(port), redactor)


async def test_tls_to_a_plain_server(smtp_server: SmtpServer, tls: Tls,
                                     redactor: Redactor) -> None:
    spec = email_spec(smtp_server.port, smtp={"security": "ssl", "ca_file": str(tls.ca_file)})
    with pytest.raises(EmailDeliveryError, match=r"^TLS failure with .*try security: starttls"):
        await send_test_email(spec, redactor)


async def test_starttls_not_offered(smtp_server: SmtpServer, redactor: Redactor) -> None:
    spec = email_spec(smtp_server.port, smtp={"security": "starttls"})
    with pytest.raises(EmailDeliveryError, match=r"does not offer STARTTLS"):
        await send_test_email(spec, redactor)


async def test_timeout(redactor: Redactor) -> None:
    """A server that accepts the connection and never greets."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        spec = email_spec(port, smtp={"timeout": "200ms"})
        with pytest.raises(EmailDeliveryError, match=rf"^timed out after 0\.2s talking to "
                           rf"127\.0\.0\.1:{port}$"):
            await send_test_email(spec, redactor)


async def test_empty_recipients(redactor: Redactor) -> None:
    with pytest.raises(EmailDeliveryError, match=r"email\.to is empty"):
        await send_test_email(email_spec(1, to=[]), redactor)
