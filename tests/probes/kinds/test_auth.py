"""The synthetic `auth` kind: one attempt fetches a fresh credential and reports the exchange."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.kinds import auth as auth_kind
from probes.kinds.auth import AuthProbe
from probes.result import Attempt, Category, StepStatus
from probes.runtime import IntegrationRuntime
from tests.probes.auth.conftest import FakeClock, auth_spec
from tests.support.oauth_app import OAuthServer, make_jwt

AUTH_PROBE = AuthProbe(name="auth")


def _runtime(auth: dict[str, Any], client: httpx.AsyncClient, tmp_path: Path,
             clock: FakeClock) -> IntegrationRuntime:
    spec = auth_spec(auth)
    redactor = Redactor()
    provider = build_provider(spec.auth, integration=spec.name, redactor=redactor,
                              state_dir=tmp_path, clock=clock)
    return IntegrationRuntime(spec=spec, client=client, credentials=provider, redactor=redactor,
                              base_dir=tmp_path)


async def test_token_attempt_reports_step_and_lifetime(
    cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer, tmp_path: Path,
    clock: FakeClock,
) -> None:
    oauth.expires_in = 900
    rt = _runtime(cc, client, tmp_path, clock)
    attempt = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert attempt.failure is None and attempt.failed_step is None
    assert attempt.credential_ttl_s == 900
    (step,) = attempt.steps
    assert step.name == "token" and step.status is StepStatus.OK and step.http_status == 200
    # the auth probe keeps the operation probes' cache warm
    assert rt.credentials is not None
    await rt.credentials.current(client)
    assert oauth.token_requests == 1


async def test_token_attempt_failure(
    cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer, tmp_path: Path,
    clock: FakeClock,
) -> None:
    oauth.reject_clients = True
    attempt = await auth_kind.attempt(_runtime(cc, client, tmp_path, clock), AUTH_PROBE, Attempt())
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == (Category.AUTH, "invalid_client")
    assert attempt.failed_step == "token"
    (step,) = attempt.steps
    assert step.status is StepStatus.FAILED and step.http_status == 401
    assert attempt.credential_ttl_s is None


async def test_static_attempts(client: httpx.AsyncClient, tmp_path: Path,
                               clock: FakeClock) -> None:
    jwt = make_jwt({"exp": clock.now + 7200})
    rt = _runtime({"type": "bearer", "token": jwt}, client, tmp_path, clock)
    attempt = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert attempt.failure is None and attempt.credential_ttl_s == 7200
    assert [s.name for s in attempt.steps] == ["credential"]
    expired = make_jwt({"exp": clock.now - 60})
    rt = _runtime({"type": "bearer", "token": expired}, client, tmp_path, clock)
    attempt = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert attempt.failure is not None and attempt.failure.reason == "credential_expired"
    assert attempt.failed_step == "credential"
    basic = {"type": "basic", "username": "u", "password": "pw-1234"}
    rt = _runtime(basic, client, tmp_path, clock)
    attempt = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert attempt.failure is None and attempt.credential_ttl_s is None


async def test_attempt_without_provider(client: httpx.AsyncClient, tmp_path: Path,
                                        clock: FakeClock) -> None:
    rt = _runtime({"type": "bearer", "token": "tok-1234"}, client, tmp_path, clock)
    rt.credentials = None
    attempt = await auth_kind.attempt(rt, AUTH_PROBE, Attempt())
    assert attempt.failure is not None and attempt.failure.category is Category.CONFIG
