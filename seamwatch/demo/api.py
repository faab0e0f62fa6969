"""The sandbox API's behaviour (served by `sandbox.py`): a small SaaS-like API that acts out a
fault schedule (see `faults.py`), so the demo's dashboard and mail catcher have something to show.

Routes:
- `POST /oauth/token` — OAuth2 client credentials (client auth by HTTP Basic or in the body);
  opaque random tokens living `token_lifetime_s`.
- `GET|POST /v1/customers`, `GET|DELETE /v1/customers/{id}` — bearer token required.
- `GET /_sandbox/status` — the current phase and the whole schedule;
  `POST /_sandbox/phase {"phase": "outage", "for_s": 60}` forces a phase (`"auto"` clears).

Every API and token response carries `X-Sandbox-Phase` and the `X-RateLimit-*` headers
(a fixed window per token; 429 with `Retry-After` when it is used up).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from seamwatch.demo.faults import FaultSchedule

DEMO_CLIENT_ID = "seamwatch-demo"
DEMO_CLIENT_SECRET = "demo-secret-not-for-production"
SEED_CUSTOMERS = (
    ("cus_seed0001", "ada@example.com", "Ada Lovelace"),
    ("cus_seed0002", "grace@example.com", "Grace Hopper"),
    ("cus_seed0003", "alan@example.com", "Alan Turing"),
)
MAX_CUSTOMERS = 1000
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, kind: str, message: str, headers: dict[str, str] | None = None
           ) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status, headers=headers)


@dataclass
class _Window:
    started: float
    used: int = 0


@dataclass
class Sandbox:
    """The sandbox's state; `app` serves it. Everything time-related reads `clock`."""

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    clock: Callable[[], float] = time.monotonic
    schedule: FaultSchedule | None = None
    speed: float = 1.0
    token_lifetime_s: float = 300.0
    rate_limit: int = 120
    rate_window_s: float = 60.0
    latency_s: float = 1.5
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (clock)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    windows: dict[str, _Window] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.schedule is None:
            self.schedule = FaultSchedule.default(self.clock, self.speed)
        self.faults: FaultSchedule = self.schedule
        for cid, email, name in SEED_CUSTOMERS:
            self.customers[cid] = {"id": cid, "object": "customer", "email": email,
                                   "name": name, "created": 1700000000}
        self.app = Starlette(routes=[
            Route("/oauth/token", self._wrap(self._token, api=False), methods=["POST"]),
            Route("/v1/customers", self._wrap(self._list), methods=["GET"]),
            Route("/v1/customers", self._wrap(self._create), methods=["POST"]),
            Route("/v1/customers/{cid}", self._wrap(self._get), methods=["GET"]),
            Route("/v1/customers/{cid}", self._wrap(self._delete), methods=["DELETE"]),
            Route("/_sandbox/status", self._status, methods=["GET"]),
            Route("/_sandbox/phase", self._force, methods=["POST"]),
        ])
        self.app.state.sandbox = self

    # ------------------------------------------------------------------------- request pipeline

    def _wrap(self, handler: Handler, api: bool = True) -> Handler:
        async def endpoint(request: Request) -> Response:
            now = self.faults.now()
            phase = request.state.phase = now.phase.name
            if phase == "latency" and self.latency_s > 0:
                await asyncio.sleep(self.latency_s)
            headers: dict[str, str] = {"X-Sandbox-Phase": phase}
            if phase == "latency":
                headers["X-Sandbox-Added-Latency"] = f"{self.latency_s:g}"
            if api:
                response = await self._api(request, handler, phase, now.remaining_s, headers)
            else:
                client = request.client.host if request.client else "unknown"
                headers.update(self._count(f"client:{client}")[0])
                response = (_error(503, "api_error", "service temporarily unavailable")
                            if phase == "outage" else await handler(request))
            response.headers.update(headers)
            return response

        return endpoint

    async def _api(self, request: Request, handler: Handler, phase: str, phase_left: float,
                   headers: dict[str, str]) -> Response:
        token = self._bearer(request)
        valid = token is not None and self.tokens.get(token, -math.inf) > self.clock()
        limits, over = self._count(token if valid and token else "anonymous",
                                   quota_low=phase == "quota_low")
        headers.update(limits)
        if phase == "outage":  # no Retry-After: a plain server error, not a rate limit
            return _error(503, "api_error", "service temporarily unavailable")
        if not valid:
            problem = "missing bearer token" if token is None else "invalid or expired token"
            error = "invalid_request" if token is None else "invalid_token"
            return _error(401, "authentication_error", problem,
                          {"WWW-Authenticate": f'Bearer realm="sandbox", error="{error}"'})
        if phase == "rate_limited" or over:
            wait = math.ceil(phase_left) if phase == "rate_limited" else int(
                limits["X-RateLimit-Reset"])
            headers["X-RateLimit-Remaining"] = "0"
            headers["Retry-After"] = str(max(1, min(wait, 60)))
            return _error(429, "rate_limit_error", "too many requests")
        return await handler(request)

    def _count(self, key: str, quota_low: bool = False) -> tuple[dict[str, str], bool]:
        """Count one request against `key`'s window: its rate-limit headers, and whether the
        request is over the limit (and not counted)."""
        now = self.clock()
        window = self.windows.get(key)
        if window is None or now - window.started >= self.rate_window_s:
            if len(self.windows) > 10_000:
                self.windows.clear()
            window = self.windows[key] = _Window(now)
        over = window.used >= self.rate_limit
        if not over:
            window.used += 1
        remaining = self.rate_limit - window.used
        if quota_low:  # another consumer of the same account is using most of the quota
            remaining = min(remaining, max(1, self.rate_limit // 20))
        reset = max(1, math.ceil(window.started + self.rate_window_s - now))
        return {"X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset)}, over

    @staticmethod
    def _bearer(request: Request) -> str | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return value.strip() or None if scheme.lower() == "bearer" else None

    # -------------------------------------------------------------------------------- oauth2

    async def _token(self, request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        form = {unquote_plus(k): unquote_plus(v) for k, _, v in
                (pair.partition("=") for pair in raw.split("&") if pair)}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(basic[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            user, _, password = decoded.partition(":")
            client_id, secret = unquote_plus(user), unquote_plus(password)
        if form.get("grant_type") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type",
                                 "error_description": "only client_credentials is supported"}, 400)
        known = (client_id == self.client_id and secret is not None
                 and secrets.compare_digest(secret, self.client_secret))
        if not known or request.state.phase == "auth_rejected":
            return JSONResponse(
                {"error": "invalid_client", "error_description": "client authentication failed"},
                401, headers={"WWW-Authenticate": 'Basic realm="sandbox"'})
        now = self.clock()
        self.tokens = {t: exp for t, exp in self.tokens.items() if exp > now}
        token = "sbx_" + secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_lifetime_s
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer",
                                "expires_in": int(self.token_lifetime_s)}
        if form.get("scope"):
            body["scope"] = form["scope"]
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    # ----------------------------------------------------------------------------- customers

    @staticmethod
    def _shape(request: Request, customer: dict[str, Any]) -> dict[str, Any]:
        if request.state.phase != "shape_change":
            return customer
        changed = dict(customer)
        changed["email_address"] = changed.pop("email")
        return changed

    async def _list(self, request: Request) -> Response:
        try:
            limit = max(1, min(100, int(request.query_params.get("limit", "10"))))
        except ValueError:
            return _error(400, "invalid_request_error", "limit must be an integer")
        items = list(self.customers.values())
        page = [self._shape(request, c) for c in items[:limit]]
        return JSONResponse({"object": "list", "data": page, "has_more": len(items) > limit})

    async def _create(self, request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            return _error(400, "invalid_request_error", "body must be JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("email"), str):
            return _error(400, "invalid_request_error", "`email` (a string) is required")
        if len(self.customers) >= MAX_CUSTOMERS:  # probes that never delete: drop the oldest
            oldest = next(k for k in self.customers if not k.startswith("cus_seed"))
            del self.customers[oldest]
        cid = "cus_" + secrets.token_hex(8)
        customer = {"id": cid, "object": "customer", "email": payload["email"],
                    "name": payload.get("name"), "created": int(time.time())}
        self.customers[cid] = customer
        return JSONResponse(self._shape(request, customer), 201)

    async def _get(self, request: Request) -> Response:
        customer = self.customers.get(request.path_params["cid"])
        if customer is None:
            return _error(404, "invalid_request_error", "no such customer")
        return JSONResponse(self._shape(request, customer))

    async def _delete(self, request: Request) -> Response:
        cid = request.path_params["cid"]
        if self.customers.pop(cid, None) is None:
            return _error(404, "invalid_request_error", "no such customer")
        return JSONResponse({"id": cid, "object": "customer", "deleted": True})

    # ------------------------------------------------------------------------------ controls

    async def _status(self, request: Request) -> Response:
        return JSONResponse(self.faults.status())

    async def _force(self, request: Request) -> Response:
        try:
            payload = await request.json()
            name = str(payload["phase"])
            for_s = float(payload.get("for_s", 60))
        except (ValueError, KeyError, TypeError):
            return _error(400, "invalid_request_error",
                          'expected {"phase": NAME, "for_s": SECONDS}')
        if name == "auto":
            self.faults.clear()
        else:
            try:
                self.faults.force(name, for_s)
            except ValueError as exc:
                return _error(400, "invalid_request_error", str(exc))
        return JSONResponse(self.faults.status())

