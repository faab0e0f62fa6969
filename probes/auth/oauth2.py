"""OAuth2 token grants: `oauth2_client_credentials` and `oauth2_refresh_token`.

Each grant is a TokenSource for the CachingProvider: `obtain()` makes one POST to the token
endpoint with the integration's own client (the token URL is absolute, so it may be another host
than `base_url`) and returns the credential with a step named `token`.

How a failed exchange is classified (category, reason):

* transport errors (timeout, DNS, refused, TLS) -> `probes.classify.classify_exception`;
* 400/401/403 and other 4xx -> `auth`, reason the RFC 6749 §5.2 error code when the body has one
  (`invalid_client`, `invalid_grant`, `unauthorized_client`, ...) else `token_http_<code>`;
  a 2xx whose body is an OAuth error object is treated the same way;
* 429, or 503 with `Retry-After` -> `rate_limited`, reason `token_http_<code>`; other 5xx ->
  `server_error`, reason `token_http_<code>`. The categories (README, Run status and error
  categories) file token-endpoint errors under `auth`, but "the identity provider is throttling
  us / is down" calls for a different response from on-call than "our client credentials are
  wrong", and the step name `token` on the auth probe already says where it happened, so these
  keep their HTTP categories;
* a 2xx that is not JSON, not an object, lacks `access_token` or has a bad `expires_in` ->
  `schema`, reason `invalid_token_response`; one larger than 256 KiB (counted decompressed, the
  read stops there) -> `schema`/`body_too_large`; JSON nested too deeply to parse ->
  `schema`/`json_too_deep`.

Messages carry the status and the server's `error`/`error_description` (through the redactor),
never the request body or the Authorization header. Every secret used or received (client
secret, refresh tokens, access tokens) is added to the redactor as soon as it is known.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import httpx

from core.redact import Redactor
from probes.auth.exchange import MAX_TOKEN_BODY, Exchange, post_form
from probes.auth.jwt import jwt_exp
from probes.auth.state import RefreshTokenState
from probes.credentials import AuthError, Credential
from probes.result import Category, Expiry, ExpiryKind, Failure, StepResult, StepStatus

log = logging.getLogger(__name__)

STEP_NAME = "token"
OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "access_denied",
    }
)
_MAX_DETAIL = 300
_MAX_CODE = 60


def transport_failure(exc: Exception) -> Failure:
    """Classify a transport error with probes.classify (imported lazily; a coarse fallback keeps
    the auth probe working if that module is missing)."""
    try:
        from probes.classify import classify_exception
    except ModuleNotFoundError as missing:
        if missing.name != "probes.classify":
            raise
        if isinstance(exc, httpx.TimeoutException):
            return Failure(Category.TIMEOUT, "timeout", f"token request timed out ({exc})")
        return Failure(Category.CONNECTION, "connect_error", f"token request failed ({exc})")
    return classify_exception(exc)


class TokenGrant:
    """What both grants share: client authentication, the exchange and reading the answer."""

    grant_type = ""

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str | None,
        client_auth: str,
        scope: str | None,
        redactor: Redactor,
        declared: Expiry | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token_url = token_url
        self.declared = declared  # the user's `expires_at` for the client secret
        self.client_id = client_id
        self._client_secret = client_secret
        self.client_auth = client_auth
        self.scope = scope
        self.redactor = redactor
        self._clock = clock
        redactor.add(client_secret)
        self._basic: str | None = None
        if client_secret is not None and client_auth == "basic":
            # RFC 6749 §2.3.1: form-urlencode id and secret, then HTTP Basic
            pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
            self._basic = base64.b64encode(pair.encode()).decode("ascii")
            redactor.add(self._basic)

    def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self._basic is not None:
            headers["Authorization"] = f"Basic {self._basic}"
        else:  # body auth, or a public client (no secret) that identifies itself by id
            form["client_id"] = self.client_id
            if self._client_secret is not None:
                form["client_secret"] = self._client_secret
        return headers

    def _fail(self, failure: Failure, exchange: Exchange | None, latency_ms: float) -> AuthError:
        failure = failure.redacted(self.redactor)
        step = StepResult(STEP_NAME, StepStatus.FAILED, latency_ms=latency_ms, failure=failure)
        if exchange is not None:
            step.http_status = exchange.status
            step.phases = exchange.phases
            step.rate_limit = exchange.rate_limit
        return AuthError(failure, step)

    async def _exchange(
        self, client: httpx.AsyncClient, form: dict[str, str]
    ) -> tuple[Credential, StepResult, dict[str, Any]]:
        headers = self._client_auth(form)
        obtained_at = self._clock()
        started = time.perf_counter()
        try:
            exchange = await post_form(client, self.token_url, form, headers)
        except httpx.InvalidURL:
            failure = Failure(Category.CONFIG, "invalid_token_url", "token_url is not a valid URL")
            raise self._fail(failure, None, 0.0) from None
        except httpx.HTTPError as exc:
            latency = (time.perf_counter() - started) * 1000.0
            raise self._fail(transport_failure(exc), None, latency) from None
        try:
            payload, too_deep = _json_object(exchange.body), False
        except RecursionError:
            payload, too_deep = None, True
        token = payload.get("access_token") if payload is not None else None
        if not 200 <= exchange.status < 300 or (payload is not None and "error" in payload
                                                 and not token):
            failure = _http_failure(exchange, payload, self.redactor)
            raise self._fail(failure, exchange, exchange.latency_ms)
        if exchange.truncated or too_deep:
            failure = _unreadable(exchange, too_deep)
            raise self._fail(failure, exchange, exchange.latency_ms)
        if payload is None or not isinstance(token, str) or not token:
            what = "is not a JSON object" if payload is None else "has no access_token"
            failure = Failure(Category.SCHEMA, "invalid_token_response",
                              f"token endpoint answered HTTP {exchange.status} but the body {what}")
            raise self._fail(failure, exchange, exchange.latency_ms)
        self.redactor.add_transient(token)
        try:
            expires_at = _expiry(payload, token, obtained_at)
        except (ValueError, OverflowError):  # OverflowError: a 400-digit integer
            failure = Failure(Category.SCHEMA, "invalid_token_response",
                              "token endpoint answered with an expires_in that is not a number")
            raise self._fail(failure, exchange, exchange.latency_ms) from None
        token_type = payload.get("token_type")
        scheme = token_type if isinstance(token_type, str) and token_type else "Bearer"
        if scheme.lower() == "bearer":
            scheme = "Bearer"
        if not _header_safe(f"{scheme} {token}"):
            failure = Failure(Category.SCHEMA, "invalid_token_response",
                              "token endpoint answered with an access_token or token_type that "
                              "cannot be sent in a header (control or non-ASCII characters)")
            raise self._fail(failure, exchange, exchange.latency_ms)
        credential = Credential(
            headers={"Authorization": f"{scheme} {token}"},
            obtained_at=obtained_at,
            expires_at=expires_at,
            expiries=self._expiries(payload, obtained_at, expires_at),
        )
        step = StepResult(
            STEP_NAME,
            StepStatus.OK,
            latency_ms=exchange.latency_ms,
            http_status=exchange.status,
            phases=exchange.phases,
            rate_limit=exchange.rate_limit,
        )
        return credential, step, payload


    def _expiries(self, payload: dict[str, Any], obtained_at: float,
                  expires_at: float | None) -> tuple[Expiry, ...]:
        found: list[Expiry] = []
        if expires_at is not None:
            found.append(Expiry(ExpiryKind.ACCESS_TOKEN, "access token", expires_at,
                                lifetime_s=expires_at - obtained_at))
        refresh_s = _refresh_lifetime(payload)
        if refresh_s is not None:
            found.append(Expiry(ExpiryKind.REFRESH_TOKEN, "refresh token",
                                obtained_at + refresh_s, lifetime_s=refresh_s))
        if self.declared is not None:
            found.append(self.declared)
        return tuple(found)


def _refresh_lifetime(payload: dict[str, Any]) -> float | None:
    """The refresh token's lifetime where the IdP sends one (`refresh_token_expires_in`: GitHub,
    Microsoft; `refresh_expires_in`: Keycloak; 0 means "does not expire" in Keycloak)."""
    for key in ("refresh_token_expires_in", "refresh_expires_in"):
        raw = payload.get(key)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            continue
        try:
            seconds = float(raw)
        except (ValueError, OverflowError):
            continue
        if math.isfinite(seconds) and seconds > 0:
            return seconds
    return None


def _json_object(body: bytes) -> dict[str, Any] | None:
    """The body's JSON object, or None. Raises RecursionError for JSON nested too deeply."""
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _header_safe(value: str) -> bool:
    """Whether `value` can go in an HTTP header as it is: printable ASCII only."""
    return value.isascii() and value.isprintable()


def _unreadable(exchange: Exchange, too_deep: bool) -> Failure:
    """A 2xx body seamwatch will not read: over the cap (also once decompressed), or nested too
    deeply to parse."""
    if too_deep:
        return Failure(Category.SCHEMA, "json_too_deep",
                       f"token endpoint answered HTTP {exchange.status} with JSON nested too "
                       "deeply to read")
    return Failure(Category.SCHEMA, "body_too_large",
                   f"token endpoint answered HTTP {exchange.status} with a body larger than "
                   f"{MAX_TOKEN_BODY} bytes")


def _expiry(payload: dict[str, Any], token: str, obtained_at: float) -> float | None:
    raw = payload.get("expires_in")
    if raw is None:
        return jwt_exp(token)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError("expires_in")
    seconds = float(raw)  # ValueError for a non-numeric string
    if not math.isfinite(seconds):
        raise ValueError("expires_in")
    return obtained_at + seconds


def _http_failure(
    exchange: Exchange, payload: dict[str, Any] | None, redactor: Redactor
) -> Failure:
    """The server's `error` and `error_description` are redacted whole, then cut."""
    status = exchange.status
    code = payload.get("error") if payload is not None else None
    code = code if isinstance(code, str) else None
    detail = payload.get("error_description") if payload is not None else None
    message = f"token endpoint answered HTTP {status}"
    if code:
        message += f": {redactor.redact_and_cut(code, _MAX_CODE)}"
    if isinstance(detail, str) and detail:
        message += f" ({redactor.redact_and_cut(detail, _MAX_DETAIL)})"
    reason = f"token_http_{status}"
    if status == 429 or (status == 503 and "retry-after" in exchange.headers):
        return Failure(Category.RATE_LIMITED, reason, message)
    if status >= 500:
        return Failure(Category.SERVER_ERROR, reason, message)
    if code in OAUTH_ERRORS:
        reason = code
    return Failure(Category.AUTH, reason, message)


class ClientCredentialsGrant(TokenGrant):
    grant_type = "client_credentials"

    def __init__(self, *, audience: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.audience = audience

    async def obtain(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        form = {"grant_type": self.grant_type}
        if self.scope:
            form["scope"] = self.scope
        if self.audience:
            form["audience"] = self.audience
        credential, step, _ = await self._exchange(client, form)
        return credential, step


class RefreshTokenGrant(TokenGrant):
    """Refresh-token grant; a rotated refresh token replaces the old one in memory and in the
    state file (if that cannot be written, a warning is logged and the token is kept in memory:
    the run itself succeeded).

    With a state file, each refresh holds its lock (probes/auth/state.py) and first takes the
    newest token stored there, since another process (`seamwatch once` beside `serve`) may have
    rotated it. Should the endpoint still answer `invalid_grant`, the file is read once more and
    the refresh retried once if it holds a token other than the one just refused."""

    grant_type = "refresh_token"

    def __init__(
        self, *, refresh_token: str, state: RefreshTokenState | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.redactor.add(refresh_token)
        stored = state.load() if state is not None else None
        self.redactor.add(stored)
        self._refresh_token = stored or refresh_token

    async def obtain(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        if self.state is None:
            return await self._refresh(client)
        async with self.state.locked():
            self._adopt_stored(self.state)
            try:
                return await self._refresh(client)
            except AuthError as exc:
                if exc.failure.reason != "invalid_grant" or not self._adopt_stored(self.state):
                    raise
            log.info("refresh token refused; retrying once with the newer one in %s",
                     self.state.path)
            return await self._refresh(client)

    def _adopt_stored(self, state: RefreshTokenState) -> bool:
        """Take the token in the state file if another refresh stored a different one."""
        stored = state.load()
        if stored is None or stored == self._refresh_token:
            return False
        self.redactor.add_transient(stored)
        self._refresh_token = stored
        return True

    async def _refresh(self, client: httpx.AsyncClient) -> tuple[Credential, StepResult]:
        form = {"grant_type": self.grant_type, "refresh_token": self._refresh_token}
        if self.scope:
            form["scope"] = self.scope
        credential, step, payload = await self._exchange(client, form)
        rotated = payload.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != self._refresh_token:
            self.redactor.add_transient(rotated)
            self._refresh_token = rotated
            if self.state is not None:
                try:
                    self.state.save(rotated)
                except OSError as exc:
                    log.warning("could not save the rotated refresh token to %s: %s",
                                self.state.path, exc.strerror)
        return credential, step
