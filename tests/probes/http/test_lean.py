"""probes/http/lean.py: the request built with a reused URL is the one httpx builds, for every
base URL, target and parameter shape; the cookie jar that skips responses without cookies still
keeps the cookies a real server sets."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from probes.http.lean import URLS_PER_CLIENT, build_request, use_response_cookies
from tests.support.servers import UvicornThread

CASES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("https://api.example.test", "/v1/charges", {"limit": 1}),
    ("https://api.example.test/base", "v1/charges", {"limit": 1.0}),
    ("https://api.example.test/base/", "/v1/charges?expand=a", {"flag": True}),
    ("https://api.example.test", "/v1/charges", {"flag": False, "q": "a b&c"}),
    ("https://api.example.test", "/v1/charges", {"ids": ["a", "b"]}),  # unhashable: plain path
    ("https://api.example.test", "https://other.example.test/x?y=1", {"z": None}),
    ("", "https://other.example.test/x", None),
    ("https://api.example.test:8443/", "/caf\u00e9/%7Eid", {"n\u00e4me": "\u00e9"}),
]


@pytest.mark.parametrize(("base_url", "target", "params"), CASES)
def test_the_request_is_the_one_httpx_builds(base_url: str, target: str,
                                              params: dict[str, Any] | None) -> None:
    client = httpx.AsyncClient(base_url=base_url, headers={"X-Default": "d"})
    for _ in range(2):  # the second time from the cache
        ours = build_request(client, "POST", target, params, headers={"X-Step": "s"},
                             json={"a": 1})
        theirs = client.build_request("POST", target, params=params, headers={"X-Step": "s"},
                                      json={"a": 1})
        assert ours.url == theirs.url and str(ours.url) == str(theirs.url)
        assert ours.method == theirs.method and ours.headers == theirs.headers
        assert ours.read() == theirs.read()


def test_values_equal_in_python_but_not_in_a_url_are_kept_apart() -> None:
    client = httpx.AsyncClient(base_url="https://api.example.test")
    urls = [str(build_request(client, "GET", "/x", {"v": value}).url)
            for value in (1, True, 1.0, "1")]
    assert urls == ["https://api.example.test/x?v=1", "https://api.example.test/x?v=true",
                    "https://api.example.test/x?v=1.0", "https://api.example.test/x?v=1"]


def test_client_params_are_merged_once() -> None:
    client = httpx.AsyncClient(base_url="https://api.example.test", params={"key": "k"})
    request = build_request(client, "GET", "/x", {"limit": 2})
    assert request.url == client.build_request("GET", "/x", params={"limit": 2}).url
    assert str(request.url).count("key=k") == 1


def test_many_distinct_targets_stay_bounded_and_right() -> None:
    client = httpx.AsyncClient(base_url="https://api.example.test")
    for i in range(URLS_PER_CLIENT * 2 + 3):
        assert str(build_request(client, "GET", f"/item/{i}").url).endswith(f"/item/{i}")


class CookieServer:
    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self.app = Starlette(routes=[Route("/login", self.login), Route("/me", self.me)])

    async def login(self, request: Request) -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.set_cookie("session", "s-123", path="/")
        return response

    async def me(self, request: Request) -> JSONResponse:
        self.seen.append(request.cookies.get("session"))
        return JSONResponse({"ok": True})


@pytest.fixture
def cookie_server() -> Iterator[tuple[CookieServer, str]]:
    server = CookieServer()
    with UvicornThread(server.app) as running:
        yield server, running.url


def test_cookies_a_server_sets_are_kept_and_sent(cookie_server: tuple[CookieServer, str]) -> None:
    server, url = cookie_server

    async def session() -> dict[str, str]:
        async with use_response_cookies(httpx.AsyncClient(base_url=url)) as client:
            await client.get("/me")  # no Set-Cookie: nothing to keep
            await client.get("/login")
            await client.get("/me")
            return dict(client.cookies)

    assert asyncio.run(session()) == {"session": "s-123"}
    assert server.seen == [None, "s-123"]
