from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.auth.spec import NoAuth
from probes.auth.static import expired_failure
from probes.credentials import AuthError, CredentialProvider
from probes.result import Category, ExpiryKind, StepStatus
from tests.probes.auth.conftest import FakeClock, Make
from tests.support.oauth_app import OAuthServer, make_jwt


async def _echo(client: httpx.AsyncClient, provider: CredentialProvider) -> dict[str, Any]:
    credential = await provider.current(client)
    request = client.build_request("GET", "/api/echo", params={"page": "1"})
    credential.apply(request)
    response = await client.send(request)
    assert response.status_code == 200
    return dict(response.json())


def test_no_auth_gives_no_provider(redactor: Redactor, tmp_path: Path) -> None:
    assert build_provider(None, integration="x", redactor=redactor, state_dir=tmp_path) is None
    none = NoAuth(type="none")
    assert build_provider(none, integration="x", redactor=redactor, state_dir=tmp_path) is None


async def test_api_key_header(make: Make, client: httpx.AsyncClient, oauth: OAuthServer,
                              redactor: Redactor) -> None:
    provider = make({"type": "api_key", "header": "X-Api-Key", "value": "key-abc-123"})
    seen = await _echo(client, provider)
    assert seen["headers"]["x-api-key"] == "key-abc-123"
    assert seen["query"] == {"page": "1"}
    assert "key-abc-123" in redactor


async def test_api_key_query(make: Make, client: httpx.AsyncClient) -> None:
    provider = make({"type": "api_key", "query": "api_key", "value": "key-q-456"})
    seen = await _echo(client, provider)
    assert seen["query"] == {"page": "1", "api_key": "key-q-456"}
    assert "x-api-key" not in seen["headers"]


async def test_basic(make: Make, client: httpx.AsyncClient, redactor: Redactor) -> None:
    provider = make({"type": "basic", "username": "probe", "password": "pä:ss word"})
    seen = await _echo(client, provider)
    scheme, _, blob = seen["headers"]["authorization"].partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(blob).decode() == "probe:pä:ss word"
    assert blob in redactor and "pä:ss word" in redactor


async def test_bearer_and_fresh_step(make: Make, client: httpx.AsyncClient) -> None:
    provider = make({"type": "bearer", "token": "opaque-token-789"})
    seen = await _echo(client, provider)
    assert seen["headers"]["authorization"] == "Bearer opaque-token-789"
    credential, step = await provider.fetch_fresh(client)
    assert step.name == "credential" and step.status is StepStatus.OK
    assert step.http_status is None and step.latency_ms == 0.0
    assert credential.lifetime_s is None
    stale = await provider.current(client)
    assert await provider.refresh(client, stale) is stale


async def test_bearer_jwt_reports_remaining_lifetime(
    make: Make, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = make_jwt({"sub": "me", "exp": clock.now + 600})
    provider = make({"type": "bearer", "token": token})
    credential, _ = await provider.fetch_fresh(client)
    assert credential.lifetime_s == pytest.approx(600)
    clock.advance(100)
    credential, _ = await provider.fetch_fresh(client)
    assert credential.lifetime_s == pytest.approx(500)


async def test_expired_bearer_jwt_is_an_auth_failure(
    make: Make, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    token = make_jwt({"sub": "me", "exp": clock.now - 1}, key=None)
    provider = make({"type": "bearer", "token": token})
    with pytest.raises(AuthError) as current_err:
        await provider.current(client)
    assert current_err.value.failure.category is Category.AUTH
    assert current_err.value.failure.reason == "credential_expired"
    # the auth probe reports the expired credential's expiries and fails the run itself
    credential, _ = await provider.fetch_fresh(client)
    (expiry,) = credential.expiries
    assert (expiry.kind, expiry.subject, expiry.expires_at_s) == (
        ExpiryKind.TOKEN, "bearer token", clock.now - 1)
    failure = expired_failure(credential.expiries, clock.now)
    assert failure is not None and failure.reason == "credential_expired"
    assert token not in failure.message and "bearer token expired at" in failure.message


@pytest.mark.parametrize(("spec", "expected"), [
    ({"type": "basic", "username": "u", "password": "pw-1234", "expires_at": "2027-03-31"},
     [(ExpiryKind.DECLARED, "password (declared expires_at)", 1806451200.0)]),
    ({"type": "api_key", "header": "X-Key", "value": "k-1234",
      "expires_at": "2027-03-31T12:00:00Z"},
     [(ExpiryKind.DECLARED, "API key (declared expires_at)", 1806494400.0)]),
    ({"type": "bearer", "token": "plain-1234"}, []),
])
async def test_declared_expiry_is_reported(
    make: Make, client: httpx.AsyncClient, spec: dict[str, Any],
    expected: list[tuple[ExpiryKind, str, float]],
) -> None:
    credential, _ = await make(spec).fetch_fresh(client)
    assert [(e.kind, e.subject, e.expires_at_s) for e in credential.expiries] == expected


async def test_api_key_that_is_a_jwt_reports_its_exp(
    make: Make, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    key = make_jwt({"sub": "svc", "exp": clock.now + 5 * 86400}, key=None)
    credential, _ = await make({"type": "api_key", "query": "key", "value": key}).fetch_fresh(
        client)
    (expiry,) = credential.expiries
    assert (expiry.kind, expiry.subject) == (ExpiryKind.TOKEN, "API key")
    assert expiry.expires_at_s == clock.now + 5 * 86400
