"""Where credentials may go: origins (scheme, host, port) and stripping secrets off a request.

An integration's credential and its secret headers are configured for its `base_url`'s origin
(and for the origin a step's `url` names literally); a token request's client credentials for the
`token_url`'s origin. A request to any other origin (a redirect, or an absolute URL saved from a
response) is sent without them: `withhold_secrets` takes off every header that is a credential by
its name or carries a known secret, every query parameter and the URL userinfo that carry one.
"""

from __future__ import annotations

import re
from functools import lru_cache

import httpx

from core.redact import Redactor, is_secret_header

Origin = tuple[str, str, int]

# The request extension holding the origins a request may carry secrets to (a frozenset of
# Origin); without it, the client's own rule applies (probes/http/client.py).
ALLOWED_ORIGINS = "seamwatch.allowed_origins"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LITERAL_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*")


def origin_of(url: httpx.URL | str | None) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL, the port made explicit; None otherwise."""
    if url is None:
        return None
    if isinstance(url, str):
        return _origin_of_text(url)
    return _origin(url)


@lru_cache(maxsize=1024)
def _origin_of_text(url: str) -> Origin | None:
    """Configured URLs (base_url, a step's literal url) are parsed once."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    return _origin(parsed)


def _origin(parsed: httpx.URL) -> Origin | None:
    scheme = parsed.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        return None
    return scheme, parsed.host.lower(), parsed.port or _DEFAULT_PORTS[scheme]


def literal_origin(target: str | None) -> Origin | None:
    """The origin a configured URL names before any `{{ template }}` is rendered: None for a
    relative path, or when the scheme, host or port comes from a template (a saved value)."""
    if not target:
        return None
    found = _LITERAL_ORIGIN.match(target)
    if found is None or "{{" in found.group(0):
        return None
    return origin_of(found.group(0) + "/")


def describe(origin: Origin) -> str:
    scheme, host, port = origin
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}" + ("" if _DEFAULT_PORTS[scheme] == port else f":{port}")


def carries_secret(redactor: Redactor, value: str) -> bool:
    return redactor.redact(value) != value


def secret_header(redactor: Redactor, name: str, value: str) -> bool:
    """A header is secret by its name (Authorization, *-Key, *-Token, ...) or by its value."""
    return is_secret_header(name) or carries_secret(redactor, value)


def withhold_secrets(request: httpx.Request, redactor: Redactor) -> bool:
    """Strip `request` of every secret header, secret query parameter and secret userinfo.
    Returns whether there was anything to strip."""
    names = {name for name, value in request.headers.items()
             if secret_header(redactor, name, value)}
    for name in names:
        del request.headers[name]
    url = request.url
    params = [(k, v) for k, v in url.params.multi_items()
              if carries_secret(redactor, k) or carries_secret(redactor, v)]
    for key in {k for k, _ in params}:
        url = url.copy_remove_param(key)
    if url.userinfo and carries_secret(redactor, url.userinfo.decode("ascii", "replace")):
        url = url.copy_with(userinfo=b"")
    if url == request.url:
        return bool(names)
    request.url = url
    return True
