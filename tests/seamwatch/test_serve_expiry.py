"""Expiry warnings through a real `seamwatch serve` and a real SMTP server: an OAuth2 server that
issues refresh tokens expiring in 5 days and a JWT bearer token expiring in 5 days each produce
exactly one EXPIRING email (the 7d threshold: first seen inside 30d and 7d, one notice), however
many runs see them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ServeProcess, wait_until
from tests.support.oauth_app import OAuthServer, make_jwt
from tests.support.servers import UvicornThread
from tests.support.smtp import SmtpServer, start_smtp
from tests.support.sqlite import runs_per_probe

DAYS_5 = 5 * 86400


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


def test_one_expiring_email_per_item(tmp_path: Path, smtp: SmtpServer) -> None:
    oauth = OAuthServer(refresh_expires=("refresh_token_expires_in", DAYS_5))
    bearer = make_jwt({"sub": "probe", "exp": int(time.time()) + DAYS_5})
    with UvicornThread(oauth.app) as idp:
        config = tmp_path / "seamwatch.yaml"
        config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{interval: 200ms, retries: 0}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp.port}, security: none, timeout: 5s}}
  from: "seamwatch <alerts@example.test>"
  to: []
  group_wait: 0s
integrations:
  - name: idp
    base_url: {idp.url}
    alerts: {{to: [idp-team@example.test]}}
    auth:
      type: oauth2_refresh_token
      token_url: {idp.url}/oauth/token
      client_id: seam-client
      client_secret: s3cret
      refresh_token: {oauth.issue_refresh_token()}
    probes:
      - {{name: me, steps: [{{name: me, path: /api/me}}]}}
  - name: partner
    base_url: {idp.url}
    alerts: {{to: [partner-team@example.test]}}
    auth: {{type: bearer, token: "{bearer}"}}
    probes:
      - {{name: ping, steps: [{{name: ping, path: /api/echo, auth: false}}]}}
""")
        db = tmp_path / "runs.db"
        mails = smtp.collector
        with ServeProcess(config) as serve:
            wait_until(lambda: len(mails.messages) >= 2, what="two EXPIRING emails")
            seen = runs_per_probe(db).get("auth", 0)
            wait_until(lambda: runs_per_probe(db).get("auth", 0) >= seen + 20,
                       what="20 more auth runs")
            assert serve.terminate() == 0
    by_team = {tuple(rcpt): str(msg["Subject"]) for rcpt, msg in mails.messages}
    assert len(mails.messages) == 2, mails.subjects
    # 5 days less the seconds the test took ("5d" when within the second it was issued)
    assert re.fullmatch(r"\[EXPIRING\] idp: refresh token expires in (5d|4d23h\S*)",
                        by_team[("idp-team@example.test",)])
    assert re.fullmatch(r"\[EXPIRING\] partner: bearer token expires in (5d|4d23h\S*)",
                        by_team[("partner-team@example.test",)])
    body = next(m for _, m in mails.messages if "partner" in str(m["Subject"]))
    text = body.get_body(("plain",))
    assert text is not None and "To renew:" in text.get_content()
    assert bearer not in text.get_content()
