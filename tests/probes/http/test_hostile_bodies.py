"""Hostile bodies are the server's fault, not seamwatch's (issue 9, item 11): JSON nested too
deeply to parse or walk is `schema`/`json_too_deep`, a charset Python cannot decode text with is
`schema`/`unknown_charset`; neither ends as `internal`."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from probes.http.exchange import run_http_attempt
from probes.result import Attempt
from tests.probes.conftest import MakeRuntime, http_probe, step
from tests.probes.http.canned import CannedServer, gzip_bomb, http_response


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def _attempt(make_rt: MakeRuntime, response: bytes, tmp_path: Path,
                   **expect: Any) -> Attempt:
    with CannedServer(response) as server:
        probe = http_probe(step("/", expect=expect), max_body="4MB")
        return await run_http_attempt(make_rt(server.url, base_dir=tmp_path), probe)


def _reason(attempt: Attempt) -> tuple[str, str] | None:
    failure = attempt.failure
    return None if failure is None else (str(failure.category), failure.reason)


@pytest.mark.parametrize("depth", [5_000, 100_000])  # parsed on the loop / in a worker thread
@pytest.mark.parametrize("expect", [
    {"json": {"$.a": {"exists": True}}}, {"schema": "any.json"},
])
async def test_json_too_deep_to_parse(
    make_rt: MakeRuntime, tmp_path: Path, depth: int, expect: dict[str, Any],
) -> None:
    (tmp_path / "any.json").write_text("{}")
    attempt = await _attempt(make_rt, http_response(200, _nested(depth)), tmp_path, **expect)
    assert _reason(attempt) == ("schema", "json_too_deep")
    assert attempt.failure is not None and "nested too deeply" in attempt.failure.message


async def test_json_that_parses_but_is_too_deep_to_validate(
    make_rt: MakeRuntime, tmp_path: Path,
) -> None:
    (tmp_path / "tree.json").write_text(json.dumps({
        "$ref": "#/$defs/n", "$defs": {"n": {"type": "array", "items": {"$ref": "#/$defs/n"}}}}))
    attempt = await _attempt(make_rt, http_response(200, _nested(700)), tmp_path,
                             schema="tree.json")
    assert _reason(attempt) == ("schema", "json_too_deep")


@pytest.mark.parametrize("where", ["json", "save"])
async def test_deep_json_under_a_recursive_jsonpath(
    make_rt: MakeRuntime, tmp_path: Path, where: str,
) -> None:
    # python-jsonpath's recursion error is also a JSONPathError: still the body's fault, not an
    # invalid expression (`config`).
    body = b'{"a": ' * 700 + b"1" + b"}" * 700
    with CannedServer(http_response(200, body)) as server:
        options: dict[str, Any] = (
            {"expect": {"json": {"$..id": {"exists": True}}}} if where == "json"
            else {"save": {"ids": "$..id"}})
        probe = http_probe(step("/", **options))
        attempt = await run_http_attempt(make_rt(server.url), probe)
    assert _reason(attempt) == ("schema", "json_too_deep")


async def test_status_failure_keeps_precedence_over_deep_json(
    make_rt: MakeRuntime, tmp_path: Path,
) -> None:
    attempt = await _attempt(make_rt, http_response(500, _nested(100_000)), tmp_path,
                             json={"$.a": {"exists": True}})
    assert _reason(attempt) == ("server_error", "http_500")


@pytest.mark.parametrize("charset", ["no-such-charset", "base64", "idna", "punycode", "rot13"])
async def test_unknown_charset_with_body_contains(
    make_rt: MakeRuntime, tmp_path: Path, charset: str,
) -> None:
    response = http_response(200, b"hello \xff world",
                             [("Content-Type", f"text/plain; charset={charset}")])
    attempt = await _attempt(make_rt, response, tmp_path, body_contains="hello")
    assert _reason(attempt) == ("schema", "unknown_charset")
    assert attempt.failure is not None and charset in attempt.failure.message


async def test_unknown_charset_on_a_failed_status_still_shows_a_snippet(
    make_rt: MakeRuntime, tmp_path: Path,
) -> None:
    response = http_response(503, b"down for maintenance",
                             [("Content-Type", "text/plain; charset=no-such-charset")])
    attempt = await _attempt(make_rt, response, tmp_path, body_contains="x")
    assert _reason(attempt) == ("server_error", "http_503")
    assert attempt.failure is not None and "down for maintenance" in attempt.failure.message


async def test_declared_charset_is_used(make_rt: MakeRuntime, tmp_path: Path) -> None:
    response = http_response(200, "café crème".encode("latin-1"),
                             [("Content-Type", "text/plain; charset=latin-1")])
    attempt = await _attempt(make_rt, response, tmp_path, body_contains="café")
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize("status", [301, 302, 307])
async def test_redirect_bodies_are_never_read_uncapped(
    make_rt: MakeRuntime, tmp_path: Path, status: int,
) -> None:
    # httpx's own redirect following reads each redirect's body whole and decompressed: a
    # 64 MiB bomb on a redirect loop took ~800 MiB. Redirect bodies are not read at all.
    response = http_response(status, gzip_bomb(64),
                             [("Location", "/again"), ("Content-Encoding", "gzip")])
    with CannedServer(response) as server:
        probe = http_probe(step("/"), max_body="64KB")
        tracemalloc.start()
        try:
            attempt = await run_http_attempt(make_rt(server.url), probe)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert _reason(attempt) == ("server_error", "redirect_loop")
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
