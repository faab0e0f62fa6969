"""Work httpx would repeat on every request of a probe, done once instead.

A one-step run spends a tenth of its CPU building its request: httpx parses the step's URL,
joins it to the client's `base_url` and merges the query parameters into it every time. The
result only depends on the client, the rendered target and the rendered parameters, so
`build_request` keeps the merged URL per client and hands it to httpx, already absolute and
complete. It gives the request httpx would have built (tests/probes/http/test_lean.py).

httpx also extracts cookies from every response through `http.cookiejar`, after building
urllib adapters for the request and the response; `ResponseCookies` skips that when the
response sets no cookie (the jar would do nothing with it).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

import httpx

URLS_PER_CLIENT = 512  # distinct (target, params) per client kept; the set starts over past it

_urls: WeakKeyDictionary[httpx.AsyncClient, dict[Hashable, httpx.URL]] = WeakKeyDictionary()


def _params_key(params: Mapping[str, Any] | None) -> Hashable | None:
    """A key for the parameters (typed: 1, 1.0 and True render differently), None when one
    is a list or another unhashable value (those requests are built the plain way)."""
    if not params:
        return ()
    key = tuple((name, type(value), value) for name, value in params.items())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def build_request(client: httpx.AsyncClient, method: str, target: str,
                  params: Mapping[str, Any] | None = None, **kwargs: Any) -> httpx.Request:
    """`client.build_request(method, target, params=params, **kwargs)`, with the merged URL
    reused."""
    key = None if client.params else _params_key(params)
    if key is None:
        return client.build_request(method, target, params=params, **kwargs)
    urls = _urls.get(client)
    if urls is None:
        urls = _urls[client] = {}
    url = urls.get((target, key))
    if url is None:
        url = client.build_request("GET", target, params=params).url
        if len(urls) >= URLS_PER_CLIENT:
            urls.clear()
        urls[(target, key)] = url
    return client.build_request(method, url, **kwargs)


class ResponseCookies(httpx.Cookies):
    """A client's cookie jar that only parses responses that set cookies."""

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def use_response_cookies(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Give `client` a `ResponseCookies` jar holding its cookies (httpx's own setter would wrap
    it back into a plain `httpx.Cookies`)."""
    client._cookies = ResponseCookies(client.cookies)
    return client
