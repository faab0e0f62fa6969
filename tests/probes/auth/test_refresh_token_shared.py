"""A rotating refresh token shared by several processes through the state file (issue 9, item 8).

The loopback OAuth server rotates refresh tokens and refuses a token it has already replaced, as
a provider with reuse detection does. "Another process" is a second provider over the same state
file, a holder of the file's lock, or a real `seamwatch once` in a subprocess."""

from __future__ import annotations

import asyncio
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.auth.spec import OAuth2RefreshToken
from probes.auth.state import RefreshTokenState
from probes.credentials import AuthError
from tests.probes.auth.conftest import Make, auth_spec
from tests.support.cli import run_cli
from tests.support.oauth_app import OAuthServer
from tests.support.servers import UvicornThread

STATE_NAME = "payments.refresh_token.json"


def _rt(token_url: str, refresh_token: str) -> dict[str, Any]:
    return {
        "type": "oauth2_refresh_token", "token_url": token_url, "client_id": "seam-client",
        "client_secret": "s3cret", "refresh_token": refresh_token,
    }


def _presented(oauth: OAuthServer) -> list[str]:
    return [r.form["refresh_token"] for r in oauth.requests]


async def _rotate_elsewhere(client: httpx.AsyncClient, token_url: str, token: str) -> str:
    """What another process's refresh does on the wire: present `token`, get the rotated one."""
    answer = await client.post(token_url, data={"grant_type": "refresh_token",
                                                "refresh_token": token},
                               auth=("seam-client", "s3cret"))
    assert answer.status_code == 200, answer.text
    rotated = answer.json()["refresh_token"]
    assert isinstance(rotated, str)
    return rotated


@pytest.fixture
def rotating(oauth: OAuthServer) -> OAuthServer:
    oauth.rotate_refresh = True
    return oauth


async def test_a_refresh_by_another_provider_does_not_break_this_one(
    make: Make, token_url: str, client: httpx.AsyncClient, rotating: OAuthServer,
) -> None:
    r0 = rotating.issue_refresh_token()
    serve = make(_rt(token_url, r0))
    await serve.fetch_fresh(client)  # r0 -> r1, stored
    once = make(_rt(token_url, r0))  # a second process: starts from the stored r1
    await once.fetch_fresh(client)  # r1 -> r2, stored
    (r2,) = rotating.refresh_tokens

    credential, _ = await serve.fetch_fresh(client)  # still holds r1 in memory
    assert _presented(rotating)[-1] == r2
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200
    await once.fetch_fresh(client)  # and the other one picks up serve's rotation in turn
    assert len(rotating.refresh_tokens) == 1


async def test_a_refresh_waits_for_the_lock_and_uses_the_token_stored_under_it(
    make: Make, token_url: str, client: httpx.AsyncClient, rotating: OAuthServer,
    state_dir: Path,
) -> None:
    r0 = rotating.issue_refresh_token()
    serve = make(_rt(token_url, r0))
    await serve.fetch_fresh(client)
    (r1,) = rotating.refresh_tokens
    state = RefreshTokenState(state_dir / STATE_NAME, r0)

    held = os.open(state.lock_path, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)  # another process starts a refresh
    try:
        waiting = asyncio.create_task(serve.fetch_fresh(client))
        r2 = await _rotate_elsewhere(client, token_url, r1)
        state.save(r2)
        assert not waiting.done()
    finally:
        os.close(held)  # ... and ends it
    credential, _ = await waiting

    assert _presented(rotating)[-1] == r2
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200
    assert state.load() in rotating.refresh_tokens


async def test_a_cancelled_wait_for_the_lock_leaves_it_free(
    make: Make, token_url: str, client: httpx.AsyncClient, rotating: OAuthServer,
    state_dir: Path,
) -> None:
    r0 = rotating.issue_refresh_token()
    serve = make(_rt(token_url, r0))
    await serve.fetch_fresh(client)
    lock_path = RefreshTokenState(state_dir / STATE_NAME, r0).lock_path
    held = os.open(lock_path, os.O_RDWR)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        waiting = asyncio.create_task(serve.fetch_fresh(client))
        await asyncio.sleep(0)  # let it reach the lock
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
    finally:
        os.close(held)
    await serve.fetch_fresh(client)  # nothing of the cancelled wait holds the lock
    assert len(rotating.requests) == 2


class LocklessRotation(OAuthServer):
    """Before answering the first refresh, a writer that does not take the lock (an older
    seamwatch, a state file on a filesystem without shared locks) rotates the presented token
    and stores the new one, so the request in flight presents a token already replaced."""

    def __init__(self, state: RefreshTokenState) -> None:
        super().__init__(rotate_refresh=True)
        self.state = state
        self.stored: str | None = None

    async def _token(self, request: Request) -> Response:
        if self.stored is None:
            (current,) = self.refresh_tokens
            self.refresh_tokens.discard(current)
            self.stored = self.issue_refresh_token()
            self.state.save(self.stored)
        return await super()._token(request)


async def test_invalid_grant_is_retried_once_with_the_newer_stored_token(
    tmp_path: Path, redactor: Redactor,
) -> None:
    state_dir = tmp_path / "state"
    r0 = "rt-configured-0"
    oauth = LocklessRotation(RefreshTokenState(state_dir / STATE_NAME, r0))
    oauth.refresh_tokens.add(r0)
    with UvicornThread(oauth.app) as server:
        spec = auth_spec(_rt(f"{server.url}/oauth/token", r0))
        assert isinstance(spec.auth, OAuth2RefreshToken)
        provider = build_provider(spec.auth, integration="payments", redactor=redactor,
                                  state_dir=state_dir)
        assert provider is not None
        async with httpx.AsyncClient(base_url=server.url) as client:
            credential, step = await provider.fetch_fresh(client)
            me = await client.get("/api/me", headers=credential.headers)
    assert step.failure is None and me.status_code == 200
    # one refusal, one retry with the token the other writer stored
    assert _presented(oauth) == [r0, oauth.stored]


async def test_invalid_grant_without_a_newer_stored_token_is_not_retried(
    make: Make, token_url: str, client: httpx.AsyncClient, rotating: OAuthServer,
) -> None:
    with pytest.raises(AuthError) as err:
        await make(_rt(token_url, "rt-never-issued")).fetch_fresh(client)
    assert err.value.failure.reason == "invalid_grant"
    assert len(rotating.requests) == 1


# ---- a real second process: `seamwatch once --probe crm/auth` beside a running provider

@pytest.fixture
def crm(rotating: OAuthServer) -> Iterator[UvicornThread]:
    with UvicornThread(rotating.app) as running:
        yield running


def test_seamwatch_once_beside_a_running_provider(
    tmp_path: Path, crm: UvicornThread, rotating: OAuthServer,
) -> None:
    r0 = rotating.issue_refresh_token()
    token_url = f"{crm.url}/oauth/token"
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "sqlite:///results.db"}}
runner: {{listen: null, state_dir: state}}
integrations:
  - name: crm
    base_url: {crm.url}
    auth: {{type: oauth2_refresh_token, token_url: "{token_url}", client_id: seam-client,
           client_secret: s3cret, refresh_token: {r0}}}
""")
    spec = auth_spec(_rt(token_url, r0), name="crm")
    assert isinstance(spec.auth, OAuth2RefreshToken)
    serve = build_provider(spec.auth, integration="crm", redactor=Redactor(),
                           state_dir=tmp_path / "state")
    assert serve is not None

    async def serve_refresh() -> int:
        async with httpx.AsyncClient(base_url=crm.url) as client:
            credential, _ = await serve.fetch_fresh(client)
            return (await client.get("/api/me", headers=credential.headers)).status_code

    assert asyncio.run(serve_refresh()) == 200  # r0 -> r1
    once = run_cli(["once", "-c", str(config), "--probe", "crm/auth", "--no-store"])
    assert once.returncode == 0, once.stdout + once.stderr  # r1 -> r2
    assert asyncio.run(serve_refresh()) == 200  # serve presents r2, not its stale r1
    assert "invalid_grant" not in once.stdout
