"""Origins (scheme, host, port) and what a request to another origin is stripped of."""

from __future__ import annotations

import httpx
import pytest

from core.redact import Redactor
from probes.http.origins import describe, literal_origin, origin_of, withhold_secrets


@pytest.mark.parametrize(("url", "origin"), [
    ("https://API.example/v1", ("https", "api.example", 443)),
    ("https://api.example:443/", ("https", "api.example", 443)),
    ("http://api.example", ("http", "api.example", 80)),
    ("http://user:pw@127.0.0.1:8080/x?y=1", ("http", "127.0.0.1", 8080)),
    ("/relative/path", None),
    ("ftp://files.example/", None),
    ("", None),
])
def test_origin_of(url: str, origin: tuple[str, str, int] | None) -> None:
    assert origin_of(url) == origin
    assert origin_of(httpx.URL(url)) == origin


@pytest.mark.parametrize(("target", "origin"), [
    ("https://other.example:8443/{{ id }}", ("https", "other.example", 8443)),
    ("{{ next }}", None),
    ("https://{{ host }}/x", None),
    ("http://h.example:{{ port }}/x", None),
    ("/v1/{{ id }}", None),
    (None, None),
])
def test_literal_origin_only_when_no_template_names_the_place(
    target: str | None, origin: tuple[str, str, int] | None
) -> None:
    assert literal_origin(target) == origin


def test_describe_leaves_out_the_default_port() -> None:
    assert describe(("https", "api.example", 443)) == "https://api.example"
    assert describe(("http", "127.0.0.1", 8080)) == "http://127.0.0.1:8080"
    assert describe(("http", "::1", 80)) == "http://[::1]"


def test_withhold_secrets_strips_headers_params_and_userinfo() -> None:
    redactor = Redactor(["key-value-1", "pw-value-2", "tok-value-3"])
    request = httpx.Request(
        "GET", "https://u:pw-value-2@other.example/x?api_key=key-value-1&page=2",
        headers={"Authorization": "Bearer anything", "X-Trace": "t-tok-value-3",
                 "X-Plain": "plain", "Cookie": "a=b"},
    )
    withhold_secrets(request, redactor)
    assert dict(request.headers) == {"host": "other.example", "x-plain": "plain"}
    assert str(request.url) == "https://other.example/x?page=2"
