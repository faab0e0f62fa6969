"""Canary secrets never reach a Failure message, a StepResult or an Attempt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.credentials import AuthError
from probes.kinds import auth as auth_kind
from probes.kinds.auth import AuthProbe
from probes.result import Attempt
from probes.runtime import IntegrationRuntime
from tests.probes.auth.conftest import Make, auth_spec
from tests.support.oauth_app import OAuthServer

SECRET = "CANARY-client-secret-9f3a"
REFRESH = "CANARY-refresh-token-7c21"

AUTH_PROBE = AuthProbe(name="auth")


def _leaks(text: str, canaries: set[str]) -> list[str]:
    return [c for c in canaries if c in text]


@pytest.mark.parametrize("client_auth", ["basic", "body"])
@pytest.mark.parametrize("grant", ["client_credentials", "refresh_token"])
async def test_echoed_secrets_are_redacted(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer,
    redactor: Redactor, client_auth: str, grant: str,
) -> None:
    oauth.clients = {"seam-client": SECRET}
    oauth.refresh_tokens.add(REFRESH)
    oauth.rotate_refresh = True
    spec: dict[str, Any] = {
        "type": f"oauth2_{grant}", "token_url": token_url, "client_id": "seam-client",
        "client_secret": SECRET, "client_auth": client_auth,
    }
    if grant == "refresh_token":
        spec["refresh_token"] = REFRESH
    provider = make(spec)
    issued: list[str] = []
    for _ in range(2):  # tokens issued (and a rotated refresh token) become canaries too
        credential, step = await provider.fetch_fresh(client)
        issued.append(credential.headers["Authorization"].removeprefix("Bearer "))
        assert not _leaks(repr(step), {SECRET, REFRESH, *issued})
    canaries = {SECRET, *issued}
    if grant == "refresh_token":
        canaries |= {REFRESH, *oauth.refresh_tokens}
    assert all(c in redactor for c in canaries)

    oauth.mode = "echo_error"  # the server echoes the secret, the auth header and the body
    with pytest.raises(AuthError) as err:
        await provider.fetch_fresh(client)
    texts = [str(err.value), err.value.failure.message, repr(err.value.step)]
    assert "***" in err.value.failure.message
    for text in texts:
        assert not _leaks(text, canaries), text
    raw_body = oauth.requests[-1]
    assert raw_body.client_secret == SECRET  # the server really did get (and echo) it


async def test_auth_attempt_carries_no_secret(
    token_url: str, client: httpx.AsyncClient, oauth: OAuthServer, tmp_path: Path,
) -> None:
    oauth.clients = {"seam-client": SECRET}
    redactor = Redactor()
    spec = auth_spec({"type": "oauth2_client_credentials", "token_url": token_url,
                      "client_id": "seam-client", "client_secret": SECRET})
    provider = build_provider(spec.auth, integration=spec.name, redactor=redactor,
                              state_dir=tmp_path)
    rt = IntegrationRuntime(spec=spec, client=client, credentials=provider, redactor=redactor,
                            base_dir=tmp_path)
    ok = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    oauth.mode = "echo_error"
    failed = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert failed.failure is not None and failed.failure.reason == "invalid_client"
    canaries = {SECRET, *oauth.access_tokens}
    assert not _leaks(repr(ok) + repr(failed), canaries)
