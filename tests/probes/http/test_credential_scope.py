"""The credential and secret headers go only to the origins they are configured for, on every
hop: a redirect to another origin (another port, or https -> http on the same host), an absolute
URL saved from a response, and a token endpoint elsewhere never see them. Two real loopback
servers: different ports are different origins."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from probes.auth.build import build_provider
from probes.credentials import CredentialProvider
from probes.http.exchange import run_http_attempt
from probes.runtime import IntegrationRuntime
from tests.probes.conftest import MakeRuntime, http_probe, step
from tests.support.cli import run_cli
from tests.support.oauth_app import OAuthServer
from tests.support.servers import TlsFiles, UvicornThread

API_KEY = "scope-apikey-5d1f0c"
BEARER = "scope-bearer-a83e27"
PASSWORD = "scope-basic-pw-6c90"
HEADER_KEY = "scope-header-key-1b44"  # X-Shop-Key: secret by its name
TRACE = "trace-scope-value-9e07"  # X-Trace: secret only by its value (from `${…}`)
STEP_TOKEN = "scope-step-token-72aa"
BASIC = base64.b64encode(f"user:{PASSWORD}".encode()).decode()
SECRETS = (API_KEY, BEARER, PASSWORD, BASIC, HEADER_KEY, TRACE, STEP_TOKEN)
SECRET_HEADERS = ("authorization", "x-api-key", "x-shop-key", "x-trace", "x-step-token")

AUTHS: dict[str, dict[str, Any]] = {
    "api_key_header": {"type": "api_key", "header": "X-Api-Key", "value": API_KEY},
    "api_key_query": {"type": "api_key", "query": "api_key", "value": API_KEY},
    "bearer": {"type": "bearer", "token": BEARER},
    "basic": {"type": "basic", "username": "user", "password": PASSWORD},
}


@dataclass
class Recorder:
    """An app that records what every request carried, redirects on request and hands out a
    URL to save."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[
            Route("/to", self.to, methods=["GET", "POST"]),
            Route("/seen", self.record, methods=["GET", "POST"]),
            Route("/next", self.next),
        ])

    async def record(self, request: Request) -> Response:
        self.seen.append({"headers": dict(request.headers), "query": str(request.url.query),
                          "body": (await request.body()).decode()})
        return JSONResponse({"ok": True})

    async def to(self, request: Request) -> Response:
        await self.record(request)
        code = int(request.query_params.get("code", "302"))
        return RedirectResponse(request.query_params["url"], status_code=code)

    async def next(self, request: Request) -> Response:
        return JSONResponse({"next": request.query_params["url"]})


@pytest.fixture
def home() -> Iterator[tuple[Recorder, UvicornThread]]:
    recorder = Recorder()
    with UvicornThread(recorder.app) as server:
        yield recorder, server


@pytest.fixture
def other() -> Iterator[tuple[Recorder, UvicornThread]]:
    recorder = Recorder()
    with UvicornThread(recorder.app) as server:
        yield recorder, server


@pytest.fixture
def tls_home(tls_good: TlsFiles) -> Iterator[tuple[Recorder, UvicornThread]]:
    recorder = Recorder()
    with UvicornThread(recorder.app, tls=tls_good) as server:
        yield recorder, server


def _runtime(make_rt: MakeRuntime, base_url: str, auth: dict[str, Any], tmp_path: Path,
             **spec: Any) -> IntegrationRuntime:
    rt = make_rt(base_url, secrets=(TRACE,), auth=auth,
                 headers={"X-Shop-Key": HEADER_KEY, "X-Trace": TRACE}, **spec)
    rt.credentials = _provider(rt, tmp_path)
    return rt


def _provider(rt: IntegrationRuntime, tmp_path: Path) -> CredentialProvider | None:
    auth = rt.spec.auth  # type: ignore[attr-defined]
    return build_provider(auth, integration="it", redactor=rt.redactor, state_dir=tmp_path)


def _carried_secrets(request: dict[str, Any]) -> list[str]:
    text = repr(request)
    found = [secret for secret in SECRETS if secret in text]
    found += [name for name in SECRET_HEADERS if name in request["headers"]]
    return found


def _credential_at_home(request: dict[str, Any], auth: str) -> bool:
    headers, query = request["headers"], request["query"]
    return {
        "api_key_header": headers.get("x-api-key") == API_KEY,
        "api_key_query": f"api_key={API_KEY}" in query,
        "bearer": headers.get("authorization") == f"Bearer {BEARER}",
        "basic": headers.get("authorization") == f"Basic {BASIC}",
    }[auth] and headers.get("x-shop-key") == HEADER_KEY and headers.get("x-trace") == TRACE


@pytest.mark.parametrize("auth", sorted(AUTHS))
async def test_a_redirect_to_another_origin_carries_no_secret(
    auth: str, make_rt: MakeRuntime, tmp_path: Path,
    home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    (at_home, home_server), (elsewhere, other_server) = home, other
    rt = _runtime(make_rt, home_server.url, AUTHS[auth], tmp_path)
    probe = http_probe(step("/to", params={"url": f"{other_server.url}/seen"},
                            headers={"X-Step-Token": STEP_TOKEN}))
    attempt = await run_http_attempt(rt, probe)
    assert attempt.failure is None, attempt.failure
    assert _credential_at_home(at_home.seen[0], auth), at_home.seen[0]  # it was configured
    assert at_home.seen[0]["headers"]["x-step-token"] == STEP_TOKEN
    assert len(elsewhere.seen) == 1
    assert _carried_secrets(elsewhere.seen[0]) == []
    note = attempt.steps[0].note
    assert note is not None and f"redirected to {other_server.url}" in note
    assert "not sent" in note


@pytest.mark.parametrize("auth", ["api_key_header", "bearer"])
async def test_an_https_to_http_downgrade_on_the_same_host_carries_no_secret(
    auth: str, make_rt: MakeRuntime, tmp_path: Path, tls_good: TlsFiles,
    tls_home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    (at_home, home_server), (elsewhere, other_server) = tls_home, other
    assert home_server.host == other_server.host
    rt = _runtime(make_rt, home_server.url, AUTHS[auth], tmp_path, ca_file=str(tls_good.ca_pem))
    probe = http_probe(step("/to", params={"url": f"{other_server.url}/seen"}))
    attempt = await run_http_attempt(rt, probe)
    assert attempt.failure is None, attempt.failure
    assert _credential_at_home(at_home.seen[0], auth)
    assert _carried_secrets(elsewhere.seen[0]) == []


async def test_a_chain_that_comes_back_home_gets_the_credential_again(
    make_rt: MakeRuntime, tmp_path: Path,
    home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    (at_home, home_server), (elsewhere, other_server) = home, other
    rt = _runtime(make_rt, home_server.url, AUTHS["bearer"], tmp_path)
    back = f"{other_server.url}/to?url={home_server.url}/seen"
    attempt = await run_http_attempt(rt, http_probe(step("/to", params={"url": back})))
    assert attempt.failure is None, attempt.failure
    assert _carried_secrets(elsewhere.seen[0]) == []
    assert [_credential_at_home(seen, "bearer") for seen in at_home.seen] == [True, True]


async def test_a_saved_absolute_url_elsewhere_gets_no_credential(
    make_rt: MakeRuntime, tmp_path: Path,
    home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    (at_home, home_server), (elsewhere, other_server) = home, other
    rt = _runtime(make_rt, home_server.url, AUTHS["api_key_query"], tmp_path)
    probe = http_probe(
        step("/next", name="find", params={"url": f"{other_server.url}/seen"},
             save={"next": "$.next"}),
        {"name": "follow", "url": "{{ next }}", "headers": {"X-Step-Token": STEP_TOKEN}},
        step("/next", name="find-home", params={"url": f"{home_server.url}/seen"},
             save={"home": "$.next"}),
        {"name": "follow-home", "url": "{{ home }}"},
    )
    attempt = await run_http_attempt(rt, probe)
    assert attempt.failure is None, attempt.failure
    assert _carried_secrets(elsewhere.seen[0]) == []
    note = attempt.steps[1].note
    assert note is not None and f"sent to {other_server.url}" in note
    assert _credential_at_home(at_home.seen[-1], "api_key_query")  # home: the credential goes
    assert attempt.steps[3].note is None


async def test_a_literal_step_url_on_another_origin_is_configured_for_it(
    make_rt: MakeRuntime, tmp_path: Path,
    home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    """A step whose `url` names another origin in the config sends the credential there: that
    is where it was configured to go."""
    (_, home_server), (elsewhere, other_server) = home, other
    rt = _runtime(make_rt, home_server.url, AUTHS["bearer"], tmp_path)
    probe = http_probe({"name": "direct", "url": f"{other_server.url}/seen"})
    attempt = await run_http_attempt(rt, probe)
    assert attempt.failure is None, attempt.failure
    assert elsewhere.seen[0]["headers"]["authorization"] == f"Bearer {BEARER}"
    assert attempt.steps[0].note is None


async def test_a_body_holding_a_secret_is_not_resent_to_another_origin(
    make_rt: MakeRuntime, tmp_path: Path,
    home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    (_, home_server), (elsewhere, other_server) = home, other
    rt = _runtime(make_rt, home_server.url, AUTHS["bearer"], tmp_path)
    probe = http_probe(step("/to", method="POST", json={"key": STEP_TOKEN},
                            params={"url": f"{other_server.url}/seen", "code": 307}))
    rt.redactor.add(STEP_TOKEN)
    attempt = await run_http_attempt(rt, probe)
    assert elsewhere.seen == []
    assert attempt.failure is not None and attempt.failure.reason == "status_mismatch"
    assert attempt.steps[0].http_status == 307
    assert "did not follow the redirect" in attempt.failure.message


async def test_the_token_request_elsewhere_gets_no_integration_secret_header(
    make_rt: MakeRuntime, tmp_path: Path, home: tuple[Recorder, UvicornThread],
) -> None:
    oauth = OAuthServer()
    with UvicornThread(oauth.app) as token_server:
        auth = {"type": "oauth2_client_credentials", "token_url": f"{token_server.url}/oauth/token",
                "client_id": "seam-client", "client_secret": "s3cret"}
        at_home, home_server = home
        rt = _runtime(make_rt, home_server.url, auth, tmp_path)
        attempt = await run_http_attempt(rt, http_probe(step("/seen")))
    assert attempt.failure is None, attempt.failure
    token_headers = oauth.last.headers
    assert "x-shop-key" not in token_headers and "x-trace" not in token_headers
    assert oauth.last.client_secret == "s3cret"  # the token endpoint's own credential went
    assert at_home.seen[0]["headers"]["x-shop-key"] == HEADER_KEY
    assert at_home.seen[0]["headers"]["authorization"].startswith("Bearer at-")


def test_the_off_origin_redirect_is_in_the_stored_step_message(
    tmp_path: Path, home: tuple[Recorder, UvicornThread], other: tuple[Recorder, UvicornThread],
) -> None:
    """`seamwatch once` on a real config: the passing step's message (JSON output and the
    `run_steps` row) says where the run was redirected and that the credential stayed home."""
    (_, home_server), (elsewhere, other_server) = home, other
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
integrations:
  - name: shop
    base_url: {home_server.url}
    auth: {{type: bearer, token: "${{SHOP_TOKEN}}"}}
    probes:
      - name: hop
        steps: [{{name: away, path: /to, params: {{url: "{other_server.url}/seen"}}}}]
""")
    once = run_cli(["once", "-c", str(config), "--json"], env={"SHOP_TOKEN": BEARER})
    assert once.returncode == 0, once.stderr
    [result] = [r for r in json.loads(once.stdout) if r["probe"] == "hop"]
    message = result["steps"][0]["message"]
    assert f"redirected to {other_server.url}" in message and "not sent" in message
    assert _carried_secrets(elsewhere.seen[0]) == []
    with sqlite3.connect(tmp_path / "runs.db") as db:
        [(stored,)] = db.execute(
            "SELECT message FROM run_steps WHERE message IS NOT NULL").fetchall()
    assert stored == message
