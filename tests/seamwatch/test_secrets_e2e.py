"""Canary secrets planted in the environment, the config, auth and headers never reach the
database, the logs, `once` output (table, JSON, JUnit), `status`, or alert emails — even when the
server echoes them back in response bodies and error messages."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ServeProcess, run_cli, wait_until
from tests.support.servers import UvicornThread
from tests.support.smtp import PASSWORD, USER, SmtpServer, authenticator, start_smtp
from tests.support.testapi import TestApi

CANARIES = {
    "CANARY_TOKEN": "canary-bearer-7c1e9a55d2",
    "CANARY_KEY": "canary-apikey-0b4d6f81e3",
    "SMTP_PASSWORD": PASSWORD,
}


def _forms(secret: str) -> list[bytes]:
    return [secret.encode(), base64.b64encode(secret.encode()).rstrip(b"=")]


@pytest.fixture
def api_url() -> Iterator[str]:
    app = TestApi()
    with UvicornThread(app.app) as server:
        yield server.url


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp(authenticator=authenticator, auth_require_tls=False, auth_required=True)
    yield server
    server.stop()


def _config(folder: Path, api_url: str, smtp_port: int) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{interval: 200ms, retries: 0, alerts: {{failure_threshold: 1}}}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, username: {USER},
          password: "${{SMTP_PASSWORD}}", allow_plaintext_auth: true}}
  from: alerts@example.test
  to: [oncall@example.test]
  group_wait: 0s
integrations:
  - name: leaky
    base_url: {api_url}
    headers: {{X-Api-Key: "${{CANARY_KEY}}", X-Trace: "trace-${{CANARY_KEY}}"}}
    auth: {{type: bearer, token: "${{CANARY_TOKEN}}"}}
    probes:
      - name: echo-500
        steps: [{{name: echo, path: /echo-auth, params: {{status: 500}}}}]
      - name: echo-200-wrong
        steps:
          - name: echo
            path: /echo-auth
            expect: {{json: {{"$.you_sent": {{equals: "something else"}}}}}}
      - name: rejected
        steps: [{{name: me, path: /protected}}]
""")
    return path


def _assert_clean(where: str, data: bytes) -> None:
    for name, secret in CANARIES.items():
        for form in _forms(secret):
            assert form not in data, f"{name} leaked into {where}"


def test_canaries_never_leak(tmp_path: Path, api_url: str, smtp: SmtpServer) -> None:
    config = _config(tmp_path, api_url, smtp.port)
    junit = tmp_path / "junit.xml"
    once = run_cli(["--log-level", "DEBUG", "once", "-c", str(config), "--json",
                    "--junit", str(junit)], env=CANARIES)
    assert once.returncode == 1, once.stderr
    assert '"category": "server_error"' in once.stdout  # the failures are really there
    table = run_cli(["once", "-c", str(config)], env=CANARIES)
    with ServeProcess(config, env=CANARIES, log_level="DEBUG") as serve:
        wait_until(lambda: len(smtp.collector.messages) >= 1, what="an alert email")
        assert serve.terminate() == 0
    status = run_cli(["status", "-c", str(config), "--json"], env=CANARIES)
    check = run_cli(["check", "-c", str(config)], env=CANARIES)

    outputs = {
        "once --json stdout": once.stdout, "once stderr": once.stderr,
        "once table": table.stdout + table.stderr, "serve log": serve.log,
        "status": status.stdout + status.stderr, "check": check.stdout + check.stderr,
    }
    for where, text in outputs.items():
        _assert_clean(where, text.encode())
    _assert_clean("junit report", junit.read_bytes())
    for file in tmp_path.glob("runs.db*"):
        _assert_clean(file.name, file.read_bytes())
    assert smtp.collector.messages
    for _, message in smtp.collector.messages:
        _assert_clean("alert email", message.as_bytes())
    assert "***" in once.stdout  # the echoed token was masked, not silently dropped
