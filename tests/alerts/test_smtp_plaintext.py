"""`security: none` with a username would send the SMTP password in clear (issue 9, item 15):
refused by `seamwatch check` and `seamwatch test-email` at `email.smtp.security`, and by the SMTP
client before it connects, unless `allow_plaintext_auth: true`. Against a real aiosmtpd server
on loopback that accepts AUTH without TLS and records every login it receives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from pydantic import SecretStr, ValidationError

from alerts.smtp import EmailDeliveryError, SmtpSession
from alerts.spec import PLAINTEXT_AUTH_REFUSED, SmtpSpec
from core.redact import Redactor
from tests.alerts.conftest import PASSWORD, USER, SmtpServer, authenticator, email_spec, start_smtp
from tests.support.inprocess import run_main

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


class RecordingAuth:
    """aiosmtpd authenticator that remembers every login and password it was sent."""

    def __init__(self) -> None:
        self.logins: list[tuple[bytes, bytes]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str,
                 data: Any) -> AuthResult:
        if data is not None:
            self.logins.append((bytes(data.login), bytes(data.password)))
        return authenticator(server, session, envelope, mechanism, data)


@pytest.fixture
def seen() -> RecordingAuth:
    return RecordingAuth()


@pytest.fixture
def relay(seen: RecordingAuth) -> Iterator[SmtpServer]:
    server = start_smtp(authenticator=seen, auth_require_tls=False, auth_required=True)
    yield server
    server.stop()


def _config(folder: Path, port: int, *, allow: bool = False) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""\
email:
  smtp:
    host: 127.0.0.1
    port: {port}
    security: none
    username: {USER}
    password: "{PASSWORD}"
    timeout: 5s{'''
    allow_plaintext_auth: true''' if allow else ''}
  from: alerts@example.test
  to: [oncall@example.test]
integrations:
  - name: shop
    base_url: http://127.0.0.1:9
    probes: [{{name: up, steps: [{{name: get, path: /}}]}}]
""")
    return path


def test_check_refuses_a_plaintext_login_at_security(tmp_path: Path) -> None:
    path = _config(tmp_path, 2525)
    outcome = run_main(["check", "-c", str(path)])
    assert outcome.code == 2
    assert outcome.stderr == f"{path}:5:15: email.smtp.security: {PLAINTEXT_AUTH_REFUSED}\n"
    assert PASSWORD not in outcome.stderr


def test_test_email_refuses_before_sending_the_password(
    tmp_path: Path, relay: SmtpServer, seen: RecordingAuth,
) -> None:
    path = _config(tmp_path, relay.port)
    outcome = run_main(["test-email", "-c", str(path)])
    assert (outcome.code, outcome.stdout) == (2, "")
    assert outcome.stderr == f"{path}:5:15: email.smtp.security: {PLAINTEXT_AUTH_REFUSED}\n"
    assert seen.logins == [] and relay.collector.messages == []


def test_allow_plaintext_auth_logs_in_and_says_so(
    tmp_path: Path, relay: SmtpServer, seen: RecordingAuth,
) -> None:
    outcome = run_main(["test-email", "-c", str(_config(tmp_path, relay.port, allow=True))])
    assert outcome.code == 0, outcome.stderr
    assert f"(none, logged in as {USER} without encryption (allow_plaintext_auth))" \
        in outcome.stdout
    assert seen.logins == [(USER.encode(), PASSWORD.encode())]
    assert len(relay.collector.messages) == 1


async def test_the_smtp_client_refuses_a_spec_that_skipped_validation(
    relay: SmtpServer, seen: RecordingAuth,
) -> None:
    spec = email_spec(relay.port).smtp.model_copy(
        update={"username": USER, "password": SecretStr(PASSWORD)})  # no validator runs
    with pytest.raises(EmailDeliveryError) as refused:
        async with SmtpSession(spec, Redactor()):
            pass
    assert str(refused.value) == (
        f"not logging in to 127.0.0.1:{relay.port}: {PLAINTEXT_AUTH_REFUSED}")
    assert seen.logins == []


@pytest.mark.parametrize(("security", "username", "allow", "refused"), [
    ("none", USER, False, True),
    ("none", USER, True, False),
    ("none", None, False, False),
    ("starttls", USER, False, False),
    ("ssl", USER, False, False),
])
def test_the_model_refuses_only_an_unencrypted_login(
    security: str, username: str | None, allow: bool, refused: bool,
) -> None:
    data = {"host": "127.0.0.1", "security": security, "username": username,
            "password": PASSWORD, "allow_plaintext_auth": allow}
    if not refused:
        assert not SmtpSpec.model_validate(data).plaintext_auth_refused
        return
    with pytest.raises(ValidationError) as caught:
        SmtpSpec.model_validate(data)
    (error,) = caught.value.errors()
    assert error["loc"] == ("security",) and PLAINTEXT_AUTH_REFUSED in str(error["ctx"])
