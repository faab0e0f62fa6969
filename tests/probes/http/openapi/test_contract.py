"""Finding a request's operation (probes/http/openapi/contract.py): path templates, concrete paths
before templated ones, a server's base path (its variables at their defaults) or the base_url's
taken off, HEAD answered by GET."""

from __future__ import annotations

from typing import Any

import pytest

from probes.http.openapi.document import compile_document


def _params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in names]


def _doc(servers: list[dict[str, Any]]) -> dict[str, Any]:
    ok = {"responses": {"200": {"description": "ok"}}}
    return {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": servers,
        "paths": {
            "/items/{id}": {"parameters": _params("id"),
                            "get": {**ok, "operationId": "getItem"},
                            "delete": {**ok, "operationId": "deleteItem"}},
            "/items/mine": {"get": {**ok, "operationId": "myItems"}},
            "/files/{name}.{ext}": {"parameters": _params("name", "ext"),
                                    "get": {**ok, "operationId": "getFile"}},
            "/": {"get": {**ok, "operationId": "root"}},
        },
    }


SERVERS = [{"url": "https://{region}.api.example.com/{version}",
            "variables": {"region": {"default": "eu"}, "version": {"default": "v2"}}}]

CASES: list[tuple[str, str, str, str, str | None]] = [
    ("templated", "GET", "/v2/items/42", "", "getItem"),
    ("concrete first", "GET", "/v2/items/mine", "", "myItems"),
    ("method picks", "DELETE", "/v2/items/42", "", "deleteItem"),
    ("head is get", "HEAD", "/v2/items/42", "", "getItem"),
    ("no such method", "POST", "/v2/items/42", "", None),
    ("trailing slash", "GET", "/v2/items/42/", "", "getItem"),
    ("two variables in a segment", "GET", "/v2/files/report.pdf", "", "getFile"),
    ("the server root", "GET", "/v2", "", "root"),
    ("a variable is one segment", "GET", "/v2/items/4/2", "", None),
    ("base_url's path", "GET", "/api/items/42", "/api", "getItem"),
    ("no base path at all", "GET", "/items/42", "", "getItem"),
    ("unknown path", "GET", "/v2/orders", "", None),
]


@pytest.mark.parametrize(("method", "path", "base", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_find(method: str, path: str, base: str, expected: str | None) -> None:
    contract = compile_document(_doc(SERVERS), "t.yaml")
    found = contract.find(method, path, base)
    assert (found.operation_id if found else None) == expected
    assert contract.find(method, path, base) is found  # cached
