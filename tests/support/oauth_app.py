"""A controllable OAuth2 authorisation server + protected API for tests (Starlette).

`OAuthServer` holds the state that tests read and flip: registered clients, token lifetime,
JWT or opaque access tokens, refresh-token rotation, a switch to reject every client, failure
modes, and what every token request carried. Serve `server.app` with `UvicornThread`.

Routes: `POST /oauth/token` (client_credentials and refresh_token grants; client authentication
by HTTP Basic per RFC 6749 §2.3.1 or in the body), `GET /api/me` (only a currently valid access
token passes), `GET /api/echo` (records and returns the headers and query it received).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

Mode = Literal[
    "ok", "rate_limited", "server_error", "unavailable_retry_after", "non_json",
    "no_access_token", "echo_error", "bad_expires_in", "huge_body",
]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any], key: bytes | None = b"test-signing-key") -> str:
    """A compact JWT: HS256-signed with `key`, or unsigned (`alg: none`) when key is None."""
    header = {"alg": "HS256" if key else "none", "typ": "JWT"}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(sig)}"


@dataclass
class TokenRequest:
    form: dict[str, str]
    headers: dict[str, str]
    client_id: str | None
    client_auth: Literal["basic", "body", "none"]
    client_secret: str | None = None


@dataclass
class OAuthServer:
    clients: dict[str, str | None] = field(default_factory=lambda: {"seam-client": "s3cret"})
    expires_in: int | None = 3600
    refresh_expires: tuple[str, int] | None = None  # e.g. ("refresh_token_expires_in", 86400)
    jwt_tokens: bool = False
    jwt_exp: float | None = None  # exp claim to embed; default: now + expires_in (or 1 h)
    jwt_key: bytes | None = b"test-signing-key"
    rotate_refresh: bool = False
    reject_clients: bool = False
    mode: Mode = "ok"
    token_type: str = "Bearer"
    token_requests: int = 0
    requests: list[TokenRequest] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    received: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[
            Route("/oauth/token", self._token, methods=["POST"]),
            Route("/api/me", self._me),
            Route("/api/echo", self._echo),
        ])

    # ---- what tests call
    def issue_refresh_token(self) -> str:
        token = f"rt-{next(self._ids)}-{secrets.token_hex(8)}"
        self.refresh_tokens.add(token)
        return token

    def revoke_access_tokens(self) -> None:
        self.access_tokens.clear()

    @property
    def last(self) -> TokenRequest:
        return self.requests[-1]

    # ---- internals
    def _access_token(self, client_id: str) -> str:
        n = next(self._ids)
        if self.jwt_tokens:
            exp = self.jwt_exp if self.jwt_exp is not None else time.time() + (
                self.expires_in or 3600)
            token = make_jwt({"sub": client_id, "exp": exp, "jti": f"at-{n}"}, self.jwt_key)
        else:
            token = f"at-{n}-{secrets.token_hex(8)}"
        self.access_tokens.add(token)
        return token

    def _client(self, request: Request, form: dict[str, str]) -> TokenRequest:
        headers = dict(request.headers)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            raw = base64.b64decode(auth[6:]).decode()
            cid, _, secret = raw.partition(":")
            return TokenRequest(
                form, headers, unquote_plus(cid), "basic", unquote_plus(secret)
            )
        if "client_secret" in form:
            return TokenRequest(
                form, headers, form.get("client_id"), "body", form["client_secret"]
            )
        return TokenRequest(form, headers, form.get("client_id"), "none")

    async def _token(self, request: Request) -> Response:
        raw = (await request.body()).decode()
        form = dict(parse_qsl(raw, keep_blank_values=True))
        self.token_requests += 1
        req = self._client(request, form)
        self.requests.append(req)
        secret = req.client_secret
        if self.mode == "rate_limited":
            return JSONResponse({"error": "slow_down"}, 429,
                                headers={"Retry-After": "7", "X-RateLimit-Limit": "10",
                                         "X-RateLimit-Remaining": "0"})
        if self.mode == "unavailable_retry_after":
            return PlainTextResponse("maintenance", 503, headers={"Retry-After": "30"})
        if self.mode == "server_error":
            return PlainTextResponse("internal error", 500)
        if self.mode == "huge_body":
            return JSONResponse({"access_token": "x" * (512 * 1024), "token_type": "Bearer"})
        if self.mode == "non_json":
            return PlainTextResponse("<html>login page</html>", 200)
        if self.mode == "echo_error":
            detail = f"bad client {req.client_id}:{secret} auth={req.headers.get('authorization')}"
            return JSONResponse({"error": "invalid_client",
                                 "error_description": f"{detail} body={raw}"}, 401)
        known = req.client_id in self.clients
        if self.reject_clients or not known or self.clients.get(req.client_id or "") != secret:
            return JSONResponse({"error": "invalid_client",
                                 "error_description": "client authentication failed"}, 401,
                                headers={"WWW-Authenticate": 'Basic realm="token"'})
        grant = form.get("grant_type")
        body: dict[str, Any] = {}
        if grant == "refresh_token":
            presented = form.get("refresh_token", "")
            if presented not in self.refresh_tokens:
                return JSONResponse({"error": "invalid_grant",
                                     "error_description": "refresh token is invalid"}, 400)
            if self.rotate_refresh:
                self.refresh_tokens.discard(presented)
                body["refresh_token"] = self.issue_refresh_token()
        elif grant != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, 400)
        if self.mode == "no_access_token":
            return JSONResponse({"token_type": "Bearer"})
        body["access_token"] = self._access_token(req.client_id or "")
        body["token_type"] = self.token_type
        if self.mode == "bad_expires_in":
            body["expires_in"] = "soon"
        elif self.expires_in is not None:
            body["expires_in"] = self.expires_in
        if self.refresh_expires is not None:
            key, seconds = self.refresh_expires
            body[key] = seconds
        return JSONResponse(body, headers={"RateLimit-Limit": "100", "RateLimit-Remaining": "99"})

    async def _me(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token not in self.access_tokens:
            return JSONResponse({"error": "invalid_token"}, 401,
                                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        return JSONResponse({"token": "valid"})

    async def _echo(self, request: Request) -> Response:
        seen = {"headers": dict(request.headers), "query": dict(request.query_params)}
        self.received.append(seen)
        return JSONResponse(seen)
