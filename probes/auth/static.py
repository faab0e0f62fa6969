"""Static credentials: `api_key` (header or query), `basic` and `bearer`.

Nothing is fetched: `current()` returns the configured credential at once and `fetch_fresh()`
reports a step named `credential` that made no network call. A bearer token that is a JWT has a
known lifetime (its `exp`): the auth probe reports what is left of it, and once it has passed the
credential is refused with category `auth`, reason `token_expired` (sending it would only earn a
401 that says less).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from core.redact import Redactor
from probes.auth.jwt import jwt_exp
from probes.auth.spec import ApiKeyAuth, BasicAuth, BearerAuth
from probes.credentials import AuthError, Credential
from probes.result import Category, Failure, StepResult, StepStatus

STEP_NAME = "credential"


def basic_header(username: str, password: str) -> str:
    """`Basic base64(user:pass)` as RFC 7617 (UTF-8, no other encoding)."""
    blob = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {blob}"


class StaticProvider:
    """A CredentialProvider for credentials written in the config."""

    def __init__(
        self,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        *,
        expires_at: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._headers = dict(headers or {})
        self._params = dict(params or {})
        self._expires_at = expires_at
        self._clock = clock
        self._credential = Credential(
            headers=dict(self._headers),
            params=dict(self._params),
            obtained_at=clock(),
            expires_at=expires_at,
        )

    def _expired_failure(self, now: float) -> Failure | None:
        if self._expires_at is None or now < self._expires_at:
            return None
        when = datetime.fromtimestamp(self._expires_at, UTC).isoformat(timespec="seconds")
        return Failure(
            Category.AUTH, "token_expired", f"the configured bearer token expired at {when}"
        )

    async def current(self, client: httpx.AsyncClient) -> Credential:
        failure = self._expired_failure(self._clock())
        if failure is not None:
            raise AuthError(failure)
        return self._credential

    async def refresh(self, client: httpx.AsyncClient, stale: Credential) -> Credential:
        return await self.current(client)

    async def fetch_fresh(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        now = self._clock()
        failure = self._expired_failure(now)
        if failure is not None:
            step = StepResult(STEP_NAME, StepStatus.FAILED, latency_ms=0.0, failure=failure)
            raise AuthError(failure, step)
        # obtained "now", so lifetime_s is what is left of a JWT's life
        credential = Credential(
            headers=dict(self._headers),
            params=dict(self._params),
            obtained_at=now,
            expires_at=self._expires_at,
        )
        return credential, StepResult(STEP_NAME, StepStatus.OK, latency_ms=0.0)


def api_key_provider(
    spec: ApiKeyAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    value = spec.value.get_secret_value()
    redactor.add(value)
    if spec.header is not None:
        return StaticProvider(headers={spec.header: value}, clock=clock)
    assert spec.query is not None  # the spec guarantees exactly one
    return StaticProvider(params={spec.query: value}, clock=clock)


def basic_provider(
    spec: BasicAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    password = spec.password.get_secret_value()
    redactor.add(password)
    header = basic_header(spec.username, password)
    redactor.add(header.removeprefix("Basic "))
    return StaticProvider(headers={"Authorization": header}, clock=clock)


def bearer_provider(
    spec: BearerAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    token = spec.token.get_secret_value()
    redactor.add(token)
    return StaticProvider(
        headers={"Authorization": f"Bearer {token}"}, expires_at=jwt_exp(token), clock=clock
    )
