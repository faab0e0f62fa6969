"""Static credentials: `api_key` (header or query), `basic` and `bearer`.

Nothing is fetched: `current()` returns the configured credential at once and `fetch_fresh()`
reports a step named `credential` that made no network call. A bearer token or API key that is a
JWT has a known end (its `exp`), and any type may declare one (`expires_at`): the auth probe
reports them as expiries, and once one has passed the credential is refused with category `auth`,
reason `credential_expired` (sending it would only earn a 401 that says less).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from core.redact import Redactor
from probes.auth.jwt import jwt_exp
from probes.auth.spec import ApiKeyAuth, AuthCommon, BasicAuth, BearerAuth
from probes.credentials import AuthError, Credential
from probes.result import Category, Expiry, ExpiryKind, Failure, StepResult, StepStatus

STEP_NAME = "credential"


def basic_header(username: str, password: str) -> str:
    """`Basic base64(user:pass)` as RFC 7617 (UTF-8, no other encoding)."""
    blob = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {blob}"


class StaticProvider:
    """A CredentialProvider for credentials written in the config. `expiries` are what is known
    of its end: a JWT's `exp`, the user's declared `expires_at`."""

    def __init__(
        self,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
        *,
        expiries: tuple[Expiry, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._headers = dict(headers or {})
        self._params = dict(params or {})
        self._expiries = expiries
        self._expires_at = min((e.expires_at_s for e in expiries), default=None)
        self._clock = clock
        self._credential = self._fresh(clock())

    def _fresh(self, now: float) -> Credential:
        # obtained "now", so lifetime_s is what is left of it
        return Credential(headers=dict(self._headers), params=dict(self._params),
                          obtained_at=now, expires_at=self._expires_at, expiries=self._expiries)

    def _expired_failure(self, now: float) -> Failure | None:
        return expired_failure(self._expiries, now)

    async def current(self, client: httpx.AsyncClient) -> Credential:
        failure = self._expired_failure(self._clock())
        if failure is not None:
            raise AuthError(failure)
        return self._credential

    async def refresh(self, client: httpx.AsyncClient, stale: Credential) -> Credential:
        return await self.current(client)

    async def fetch_fresh(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        """The credential as configured; an expired one is judged by the auth probe, which
        reports its expiries either way."""
        return self._fresh(self._clock()), StepResult(STEP_NAME, StepStatus.OK, latency_ms=0.0)


def expired_failure(expiries: tuple[Expiry, ...] | list[Expiry], now: float) -> Failure | None:
    """`auth`/`credential_expired` for the soonest expiry that has passed (an access token is
    renewed by seamwatch, so it never counts)."""
    passed = [e for e in expiries if e.warns and e.expires_at_s <= now]
    if not passed:
        return None
    soonest = min(passed, key=lambda e: e.expires_at_s)
    when = datetime.fromtimestamp(soonest.expires_at_s, UTC).isoformat(timespec="seconds")
    return Failure(Category.AUTH, "credential_expired", f"the {soonest.subject} expired at {when}")


def static_expiries(spec: AuthCommon, secret: str | None, what: str) -> tuple[Expiry, ...]:
    """A configured secret's expiries: its JWT `exp` (when it is a JWT) and the declared date."""
    found: list[Expiry] = []
    exp = jwt_exp(secret) if secret is not None else None
    if exp is not None:
        found.append(Expiry(ExpiryKind.TOKEN, what, exp))
    declared = spec.declared_expiry_s
    if declared is not None:
        found.append(Expiry(ExpiryKind.DECLARED, f"{what} (declared expires_at)", declared))
    return tuple(found)


def api_key_provider(
    spec: ApiKeyAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    value = spec.value.get_secret_value()
    redactor.add(value)
    expiries = static_expiries(spec, value, "API key")
    if spec.header is not None:
        return StaticProvider(headers={spec.header: value}, expiries=expiries, clock=clock)
    assert spec.query is not None  # the spec guarantees exactly one
    return StaticProvider(params={spec.query: value}, expiries=expiries, clock=clock)


def basic_provider(
    spec: BasicAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    password = spec.password.get_secret_value()
    redactor.add(password)
    header = basic_header(spec.username, password)
    redactor.add(header.removeprefix("Basic "))
    return StaticProvider(headers={"Authorization": header},
                          expiries=static_expiries(spec, None, "password"), clock=clock)


def bearer_provider(
    spec: BearerAuth, redactor: Redactor, clock: Callable[[], float] = time.time
) -> StaticProvider:
    token = spec.token.get_secret_value()
    redactor.add(token)
    return StaticProvider(headers={"Authorization": f"Bearer {token}"},
                          expiries=static_expiries(spec, token, "bearer token"), clock=clock)
