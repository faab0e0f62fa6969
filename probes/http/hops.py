"""Sending one `http` step's request hop by hop.

Redirects are followed here, not by httpx, so that every hop is scoped on its own: the credential
is attached, and secret headers and parameters left on, only when the hop's origin is one the
credentials are configured for (probes/http/origins.py). A hop to any other origin goes without
them, and the step says so in its note. A 307/308 that would resend a body holding a secret to
another origin is not followed (its response is the step's answer). More than `MAX_REDIRECTS`
redirects raise `httpx.TooManyRedirects` (`server_error`/`redirect_loop`).

Each hop's request is rebuilt from the step's own request (not from the previous hop), so a
redirect chain that leaves the origin and comes back gets the credential again at home.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from core.redact import Redactor
from probes.credentials import Credential
from probes.http.client import MAX_REDIRECTS
from probes.http.origins import (
    ALLOWED_ORIGINS,
    Origin,
    carries_secret,
    describe,
    origin_of,
    withhold_secrets,
)

_DRAIN = 64 * 1024  # bytes of a redirect's own body read so its connection can be reused


@dataclass(slots=True)
class Sent:
    response: httpx.Response  # the last hop's response, streamed and still open
    credential_sent: bool  # whether the last hop carried the credential
    note: str | None  # why a hop went without credentials, or a redirect was not followed


async def send_hops(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    credential: Credential | None,
    origins: Iterable[Origin],
    redactor: Redactor,
    follow: bool,
) -> Sent:
    allowed = frozenset(origins)
    template = httpx.Headers(request.headers)
    body = _content(request)
    notes: list[str] = []
    hop = request
    for count in range(MAX_REDIRECTS + 1):
        credential_sent = _scope(hop, credential, allowed, redactor, count, notes)
        response = await client.send(hop, stream=True)
        following = response.next_request
        if not follow or following is None:
            return Sent(response, credential_sent, _joined(notes))
        refusal = _refusal(following, request.method, body, allowed, redactor)
        if refusal is not None:
            notes.append(refusal)
            return Sent(response, credential_sent, _joined(notes))
        try:
            if count == MAX_REDIRECTS:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=hop)
            await _drain(response)
        finally:
            await response.aclose()
        hop = _next_hop(following, template, request.method)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover


def _scope(hop: httpx.Request, credential: Credential | None, allowed: frozenset[Origin],
           redactor: Redactor, count: int, notes: list[str]) -> bool:
    """Attach the credential to `hop` if its origin is allowed, else strip its secrets.
    Returns whether the credential went on."""
    hop.extensions = {**hop.extensions, ALLOWED_ORIGINS: allowed}
    origin = origin_of(hop.url)
    if origin is not None and origin in allowed:
        if credential is not None:
            credential.apply(hop)
            return True
        return False
    withheld = withhold_secrets(hop, redactor) or credential is not None
    if count > 0 or withheld:
        where = describe(origin) if origin is not None else "a URL without an origin"
        how = "redirected to" if count > 0 else "sent to"
        notes.append(f"{how} {where}, not an origin the credentials are configured for: "
                     "credentials and secret headers were not sent there")
    return False


def _refusal(following: httpx.Request, method: str, body: bytes, allowed: frozenset[Origin],
             redactor: Redactor) -> str | None:
    """Why the redirect to `following` is not followed: it would resend a body that holds a
    secret (the method and body kept, as for 307/308) to an origin not allowed. None if fine."""
    target = origin_of(following.url)
    if target in allowed or following.method != method or not body:
        return None
    if not carries_secret(redactor, body.decode("utf-8", "replace")):
        return None
    where = describe(target) if target is not None else "a URL without an origin"
    return (f"did not follow the redirect to {where}: it would resend a body holding a secret "
            "to another origin")


def _next_hop(following: httpx.Request, template: httpx.Headers, method: str) -> httpx.Request:
    """The next hop as httpx would build it (method, URL, body, cookies), with the headers of
    the step's own request (before scoping) instead of the previous hop's."""
    headers = httpx.Headers(template)
    headers.pop("Cookie", None)
    headers["Host"] = following.url.netloc.decode("ascii")
    if following.method != method and following.method == "GET":
        for name in ("Content-Length", "Transfer-Encoding"):
            headers.pop(name, None)
    cookie = following.headers.get("Cookie")
    if cookie:
        headers["Cookie"] = cookie
    return httpx.Request(following.method, following.url, headers=headers,
                         stream=following.stream, extensions=dict(following.extensions))


def _content(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:  # a streamed body (never built by the exchange)
        return b""


async def _drain(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > _DRAIN:
            break


def _joined(notes: list[str]) -> str | None:
    return "; ".join(notes) or None
