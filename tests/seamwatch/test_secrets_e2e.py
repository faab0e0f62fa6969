"""Canary secrets planted in the environment, the config, auth and headers never reach the
database, the logs, `once` output (table, JSON, JUnit), `status`, or alert emails — even when the
server echoes them back in response bodies and error messages, exactly where a message is cut,
and whatever part of a request (body, json, form, params, URL userinfo) a `${…}` value fills."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.cli import ServeProcess, run_cli, wait_until
from tests.support.oauth_app import OAuthServer
from tests.support.servers import RawTcpServer, UvicornThread
from tests.support.smtp import PASSWORD, USER, SmtpServer, authenticator, start_smtp
from tests.support.testapi import TestApi, padded_echo

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


# ------------------------------------------------------------------ straddles and ${…} values

# Secrets a server echoes so that a message cut (snippet 200, expectation value 80, schema message
# 200, OAuth error_description 300, tcp reply 200) would fall inside them.
STRADDLERS = {
    "CANARY_STRADDLE": "Zq7Xw-straddle-key-4e1b9c",
    "CANARY_CLIENT_SECRET": "Kp3Vn-client-secret-88d2a",
    "CANARY_TCP": "Tt5Ru-tcp-echoed-secret-1f",
}
# Values that are secrets only because they come from `${…}`.
PAYLOADS = {
    "CANARY_JSON": "Jj2Ha-json-canary-6b0e",
    "CANARY_FORM": "Ff8Ok-form-canary-31c9",
    "CANARY_BODY": "Bb4Yd-body-canary-9a7f",
    "CANARY_PARAM": "Pp6Lm-param-canary-0d55",
    "CANARY_PW": "Uu1Gs-userinfo-pw-c4e2",
}
CLIENT_ID = "c" * 280  # puts the echoed client secret across the 300-character cut
HEAD = """
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{interval: 200ms, retries: 0, alerts: {{failure_threshold: 1}}}}
email:
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none, username: {user},
          password: "${{SMTP_PASSWORD}}", allow_plaintext_auth: true}}
  from: alerts@example.test
  to: [oncall@example.test]
  group_wait: 0s
integrations:
"""


def _no_prefix(where: str, data: bytes, secrets: dict[str, str]) -> None:
    for name, secret in secrets.items():
        for n in range(6, len(secret) + 1):
            assert secret[:n].encode() not in data, f"{name} (its first {n} chars) leaked: {where}"


def _no_form(where: str, data: bytes, secrets: dict[str, str]) -> None:
    for name, secret in secrets.items():
        forms = [*_forms(secret), quote(secret, safe="").encode(),
                 base64.b64encode(f"user:{secret}".encode()).rstrip(b"=")]
        for form in forms:
            assert form not in data, f"{name} leaked into {where}"


def _exercise(config: Path, env: dict[str, str], smtp: SmtpServer) -> tuple[
        list[dict[str, Any]], dict[str, bytes]]:
    """`once` (JSON, JUnit, table), `serve` until an alert email, `status` and `check`: the
    results of `once --json` and every output, file and email by name."""
    junit = config.parent / "junit.xml"
    once = run_cli(["--log-level", "DEBUG", "once", "-c", str(config), "--json",
                    "--junit", str(junit)], env=env)
    assert once.returncode == 1, once.stderr
    table = run_cli(["once", "-c", str(config)], env=env)
    with ServeProcess(config, env=env, log_level="DEBUG") as serve:
        wait_until(lambda: len(smtp.collector.messages) >= 1, what="an alert email")
        assert serve.terminate() == 0
    status = run_cli(["status", "-c", str(config), "--json"], env=env)
    check = run_cli(["check", "-c", str(config)], env=env)
    outputs = {
        "once --json stdout": once.stdout, "once stderr": once.stderr,
        "once table": table.stdout + table.stderr, "serve log": serve.log,
        "status": status.stdout + status.stderr, "check": check.stdout + check.stderr,
    }
    found = {where: text.encode() for where, text in outputs.items()}
    found["junit report"] = junit.read_bytes()
    for file in config.parent.glob("runs.db*"):
        found[file.name] = file.read_bytes()
    assert smtp.collector.messages
    for index, (_, message) in enumerate(smtp.collector.messages):
        found[f"alert email {index}"] = message.as_bytes()
    return json.loads(once.stdout), found


def test_substituted_values_never_leak(tmp_path: Path, api_url: str, smtp: SmtpServer) -> None:
    """A `${…}` value is a secret wherever it goes: body, json, form, params, URL userinfo. The
    server echoes each back; none reaches any output."""
    host_port = api_url.removeprefix("http://")
    config = tmp_path / "seamwatch.yaml"
    config.write_text(HEAD.format(smtp_port=smtp.port, user=USER) + f"""
  - name: payloads
    base_url: {api_url}
    probes:
      - name: json
        steps: [{{name: post, method: POST, path: /echo, json: {{k: "${{CANARY_JSON}}"}},
                  expect: {{json: {{"$.body.k": {{equals: "x"}}}}}}}}]
      - name: form
        steps: [{{name: post, method: POST, path: /echo, form: {{k: "${{CANARY_FORM}}"}},
                  expect: {{json: {{"$.body.k": {{equals: "x"}}}}}}}}]
      - name: body
        steps: [{{name: post, method: POST, path: /echo, body: "${{CANARY_BODY}}",
                  expect: {{json: {{"$.body": {{equals: "x"}}}}}}}}]
      - name: params
        steps: [{{name: post, method: POST, path: /echo, params: {{k: "${{CANARY_PARAM}}"}},
                  body: "plain", expect: {{json: {{"$.query.k": {{equals: "x"}}}}}}}}]
      - name: userinfo
        steps: [{{name: echo,
                  url: "http://user:${{CANARY_PW}}@{host_port}/echo-auth?status=500"}}]
""")
    results, outputs = _exercise(config, {**CANARIES, **PAYLOADS}, smtp)
    assert [r["status"] for r in results] == ["failed"] * 5
    assert all("***" in (r["message"] or "") for r in results), results
    for where, data in outputs.items():
        _no_form(where, data, PAYLOADS)


@pytest.fixture
def oauth_echo_url() -> Iterator[str]:
    server = OAuthServer(mode="echo_error")
    with UvicornThread(server.app) as thread:
        yield f"{thread.url}/oauth/token"


@pytest.fixture
def tcp_echo_port() -> Iterator[int]:
    with RawTcpServer(padded_echo(190)) as server:
        yield server.port


def test_no_part_of_a_secret_survives_a_cut(
    tmp_path: Path, api_url: str, oauth_echo_url: str, tcp_echo_port: int, smtp: SmtpServer,
) -> None:
    """Every cut falls inside an echoed secret (response snippet 200, expectation value 80,
    schema message 200, OAuth error_description 300, tcp reply 200): no part of it reaches the
    database, the logs, `once` (JSON, table, JUnit), `status`, `check` or the alert emails."""
    (tmp_path / "you_sent.schema.json").write_text(
        '{"type": "object", "properties": {"you_sent": {"type": "integer"}}}')
    config = tmp_path / "seamwatch.yaml"
    config.write_text(HEAD.format(smtp_port=smtp.port, user=USER) + f"""
  - name: cutter
    base_url: {api_url}
    headers: {{X-Api-Key: "${{CANARY_STRADDLE}}"}}
    probes:
      - name: snippet-200
        steps: [{{name: echo, path: /echo-at,
                  params: {{header: x-api-key, pad: 180, status: 500}}}}]
      - name: value-80
        steps:
          - name: echo
            path: /echo-at
            params: {{header: x-api-key, pad: 74}}
            expect: {{json: {{"$.you_sent": {{equals: "something else"}}}}}}
      - name: schema-200
        steps:
          - name: echo
            path: /echo-at
            params: {{header: x-api-key, pad: 195}}
            expect: {{schema: you_sent.schema.json}}
      - name: tcp-200
        type: tcp
        host: 127.0.0.1
        port: {tcp_echo_port}
        send: "${{CANARY_TCP}}\\n"
        expect_contains: "nope"
  - name: tokens
    base_url: {api_url}
    auth: {{type: oauth2_client_credentials, token_url: "{oauth_echo_url}",
            client_id: "{CLIENT_ID}", client_secret: "${{CANARY_CLIENT_SECRET}}"}}
""")
    results, outputs = _exercise(config, {**CANARIES, **STRADDLERS}, smtp)
    reasons = {(r["integration"], r["probe"]): r["reason"] for r in results}
    assert reasons == {
        ("cutter", "snippet-200"): "http_500", ("cutter", "value-80"): "value_mismatch",
        ("cutter", "schema-200"): "schema_violation", ("cutter", "tcp-200"): "content_mismatch",
        ("tokens", "auth"): "invalid_client",
    }
    assert all("***" in (r["message"] or "") for r in results), results
    for where, data in outputs.items():
        _no_prefix(where, data, STRADDLERS)
