"""Fuzz pass (issue 9, "Done when"): random and hostile HTTP responses (status lines, headers,
charsets, encodings, framing, bodies, nesting, sizes) from a real loopback server, through real
probe runs (an `http` probe, one with OAuth2, and the `auth` probe). Every run must end ok or
with one of the closed categories other than `internal`, within its deadline, and with bounded
memory (tracemalloc peak).

Reproducible: derandomized, no example database; each example runs in its own event loop."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Imported before any tracing: loading modules is not a run's memory.
import probes.http.exchange  # noqa: F401
from core.redact import Redactor
from probes.auth.build import build_provider
from probes.http.client import build_client
from probes.kinds.auth import AuthProbe
from probes.kinds.base import ProbeCommon
from probes.result import Category, ProbeResult
from probes.run import RunPolicy, run_probe
from probes.runtime import IntegrationRuntime
from probes.spec import IntegrationSpec
from tests.probes.conftest import http_probe
from tests.probes.http.canned import CannedServer, gzip_bomb

RUN_TIMEOUT_S = 2.0
CLIENT_TIMEOUT_S = 1.0
GRACE_S = 5.0  # only bounds a failing run: the run's own deadline is RUN_TIMEOUT_S
MAX_BODY = 256 * 1024
MEMORY_BOUND = 16 * 1024 * 1024  # a 128 MiB bomb, 2 MB bodies and deep JSON must stay under
BOMB_MIB = 128


@cache
def _bomb() -> bytes:
    return gzip_bomb(BOMB_MIB)


# -------------------------------------------------------------------------------- strategies
# Mostly well-formed responses with one hostile trait at a time, so bodies reach the checks;
# `weighted` draws its options in proportion to their weights.


def weighted(*options: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    pool = [strategy for weight, strategy in options for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


_CODES = [201, 204, 206, 301, 302, 304, 307, 100, 101, 400, 401, 403, 404, 418, 429, 500, 502,
          503, 599, 999]
_BAD_STATUS_LINES = [
    b"HTTP/1.1 200", b"HTTP/1.0 200 OK", b"HTTP/1.1 abc OK", b"HTTP/2 200 OK", b"ICY 200 OK",
    b"", b"\x00\xff\xfe garbage", b"HTTP/1.1 99 Low", b"HTTP/1.1 1000 Big", b"HTTP/1.1 000 Zero",
    b"HTTP/1.1 200 OK\r\nno colon in this header", b"HTTP/1.1  200  OK", b"http/1.1 200 ok",
    b"HTTP/1.1 200 \xff\xfe\xfd",
]
status_lines = weighted(
    (6, st.just(b"HTTP/1.1 200 OK")),
    (3, st.builds(lambda code, phrase: f"HTTP/1.1 {code} ".encode() + phrase,
                  st.sampled_from(_CODES), st.sampled_from([b"OK", b"", b"X Y", b"\xe9t\xe9"]))),
    (1, st.sampled_from(_BAD_STATUS_LINES)),
)

_CHARSETS = ["", "; charset=utf-8", "; charset=latin-1", "; charset=no-such-charset",
             "; charset=base64", "; charset=idna", "; charset=utf-16", "; charset=utf-7",
             '; charset="', "; charset*=utf-8''%ff%fe", "; charset=punycode", "; charset=\xe9"]
content_types = st.builds(lambda t, c: t + c,
                          st.sampled_from(["application/json", "text/plain", "text/html", "x"]),
                          st.sampled_from(_CHARSETS))
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=30)
_SAFE_LOCATIONS = ["/", "/next?x=1", "relative", "", "ftp://127.0.0.1/x", "http://[::1",
                   "http://127.0.0.1:1/refused", "/\xe9", "https://127.0.0.1:1/"]
safe_headers = st.lists(st.one_of(
    st.tuples(st.sampled_from(["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
                               "RateLimit", "RateLimit-Policy", "RateLimit-Reset", "Retry-After",
                               "X-Version", "Set-Cookie", "Content-Disposition"]),
              header_text | st.sampled_from(["9" * 400, "\xb9", "1e9", "-1", "2.5"]))
    .map(lambda p: (p[0].encode(), p[1].encode("latin-1"))),
    st.tuples(st.just(b"Location"), st.sampled_from(_SAFE_LOCATIONS).map(str.encode)),
), max_size=5)
hostile_header = st.one_of(
    st.tuples(st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,15}\Z").map(str.encode),
              st.sampled_from([b"\x00", b"a\x7fb", b"\xff\xfe", b"x" * 70_000, b" leading",
                               b"trailing ", b"\t", b"", b"\xe9t\xe9", b"a\rb"])),
    st.tuples(st.sampled_from([b"Bad Name", b"", b"X:Y", b"\xff"]), st.just(b"v")),
)
headers = st.tuples(safe_headers, weighted((7, st.just(None)), (1, hostile_header))).map(
    lambda pair: (*pair[0], *([pair[1]] if pair[1] is not None else [])))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(
        st.sampled_from(["id", "name", "data", "a", "", "access_token", "expires_in",
                         "token_type", "error", "error_description", "refresh_token"])
        | st.text(max_size=5), inner, max_size=5),
    max_leaves=30,
)


def _nest(depth: int, shape: str) -> bytes:
    if shape == "array":
        return b"[" * depth + b"]" * depth
    return b'{"id": ' * depth + b"1" + b"}" * depth


bodies = weighted(
    (4, json_values.map(lambda v: json.dumps(v).encode())),
    (2, st.builds(_nest, st.sampled_from([10, 300, 700, 950, 2_000, 100_000]),
                  st.sampled_from(["array", "object"]))),
    (1, st.binary(max_size=2_000)),
    (1, st.builds(lambda n, unit: unit * n, st.sampled_from([20_000, 70_000, 300_000]),
                  st.sampled_from([b"a", b"[1,", b"\xff", b'{"id":1}']))),
    (1, st.builds(lambda n: b"[" + b"1," * n + b"1]", st.sampled_from([30_000, 200_000]))),
    (2, st.sampled_from([
        b"", b"ok", b'{"id": "x", "name": "ok"}', b"1" * 5000, b'"\\ud800"',
        b'{"access_token": "t", "expires_in": 1' + b"0" * 400 + b"}",
        b'{"access_token": "a\\nb", "token_type": "\\u00e9"}',
        b'{"access_token": "t", "expires_in": -5, "token_type": "Bearer"}',
        b'{"access_token": "t", "expires_in": 60}'])),
)
encodings = weighted((6, st.just("none")), (2, st.sampled_from(["gzip", "deflate", "bomb"])),
                     (1, st.sampled_from(["gzip-lie", "br", "gzip,gzip", "bogus"])))
framings = weighted((4, st.just("length")), (2, st.sampled_from(["close", "chunked"])),
                    (1, st.sampled_from(["chunked-bad", "short", "long", "bad", "double"])))


@dataclass(frozen=True)
class Case:
    status_line: bytes
    content_type: str | None
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    encoding: str
    framing: str
    chunk: int
    stall: bool
    kind: str
    checks: frozenset[str]
    redirect: bool  # a 302 to this server again: a loop whose hops carry this body

    def __repr__(self) -> str:  # short enough for an assertion message
        return (f"Case({self.status_line[:40]!r}, ct={self.content_type!r}, "
                f"headers={[(n[:30], v[:30]) for n, v in self.headers]!r}, "
                f"body={self.body[:60]!r}..({len(self.body)} bytes), {self.encoding}, "
                f"{self.framing}/{self.chunk}, stall={self.stall}, {self.kind}, "
                f"{sorted(self.checks)}, redirect={self.redirect})")

    def render(self) -> bytes:
        headers = list(self.headers)
        status_line = self.status_line
        if self.redirect:
            status_line = b"HTTP/1.1 302 Found"
            headers.append((b"Location", b"/again"))
        if self.content_type is not None:
            headers.append((b"Content-Type", self.content_type.encode("latin-1")))
        body = self.body
        if self.encoding == "gzip":
            body, headers = gzip.compress(body), [*headers, (b"Content-Encoding", b"gzip")]
        elif self.encoding == "deflate":
            body, headers = zlib.compress(body), [*headers, (b"Content-Encoding", b"deflate")]
        elif self.encoding == "bomb":
            body, headers = _bomb(), [*headers, (b"Content-Encoding", b"gzip")]
        elif self.encoding != "none":
            label = {"gzip-lie": b"gzip", "gzip,gzip": b"gzip, gzip"}.get(
                self.encoding, self.encoding.encode())
            headers.append((b"Content-Encoding", label))
        body, headers = self._framed(body, headers)
        head = status_line + b"\r\n" + b"".join(
            name + b": " + value + b"\r\n" for name, value in headers)
        return head + b"\r\n" + body

    def _framed(self, body: bytes, headers: list[tuple[bytes, bytes]]
                ) -> tuple[bytes, list[tuple[bytes, bytes]]]:
        size = str(len(body)).encode()
        if self.framing == "length":
            return body, [*headers, (b"Content-Length", size)]
        if self.framing == "chunked":
            parts = [body[i:i + self.chunk] for i in range(0, len(body), self.chunk)]
            chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
            return chunked, [*headers, (b"Transfer-Encoding", b"chunked")]
        if self.framing == "chunked-bad":
            return body, [*headers, (b"Transfer-Encoding", b"chunked")]
        if self.framing == "short":
            return body, [*headers, (b"Content-Length", str(len(body) + 100).encode())]
        if self.framing == "long":
            return body, [*headers, (b"Content-Length", str(max(0, len(body) - 1)).encode())]
        if self.framing == "bad":
            return body, [*headers, (b"Content-Length", b"12abc")]
        if self.framing == "double":
            return body, [*headers, (b"Content-Length", size), (b"Content-Length", b"1")]
        return body, headers  # "close": the body ends when the connection does


cases = st.builds(
    Case,
    status_line=status_lines,
    content_type=st.none() | content_types,
    headers=headers,
    body=bodies,
    encoding=encodings,
    framing=framings,
    chunk=st.sampled_from([1, 7, 4096, 1 << 20]),
    stall=weighted((9, st.just(False)), (1, st.just(True))),
    kind=weighted((3, st.just("http")), (1, st.just("http+auth")), (1, st.just("auth"))),
    checks=st.frozensets(st.sampled_from(["schema", "json", "contains", "headers", "save"])),
    redirect=weighted((9, st.just(False)), (1, st.just(True))),
)


# ----------------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[CannedServer]:
    with CannedServer() as server:
        yield server


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "common.json").write_text(json.dumps({"$defs": {"any": {"$ref": "item.json"}}}))
    (folder / "item.json").write_text(json.dumps({
        "$ref": "#/$defs/node",
        "$defs": {"node": {"anyOf": [
            {"type": ["string", "number", "boolean", "null"]},
            {"type": "array", "items": {"$ref": "#/$defs/node"}},
            {"type": "object", "required": ["id"],
             "additionalProperties": {"$ref": "common.json#/$defs/any"}},
        ]}},
    }))
    return folder


def _probe(case: Case) -> ProbeCommon:
    if case.kind == "auth":
        return AuthProbe.model_validate({"name": "auth"})
    expect: dict[str, Any] = {"status": [200, 201, 204]}
    if "schema" in case.checks:
        expect["schema"] = "item.json"
    if "json" in case.checks:
        expect["json"] = {"$..id": {"exists": True}, "$.name": {"type": "string"}}
    if "contains" in case.checks:
        expect["body_contains"] = "ok"
    if "headers" in case.checks:
        expect["headers"] = {"X-Version": {"matches": "^2"}}
    first: dict[str, Any] = {"name": "first", "path": "/items", "expect": expect}
    if "save" in case.checks:
        first["save"] = {"id": "$.id"}
    then = {"name": "then", "path": "/items/{{ id }}", "always_run": True,
            "expect": {"status": "2xx"}}
    steps = [first, then] if "save" in case.checks else [first]
    return http_probe(*steps, max_body=MAX_BODY)


def _runtime(case: Case, url: str, folder: Path) -> IntegrationRuntime:
    spec: dict[str, Any] = {
        "name": "fuzz", "base_url": url,
        "probes": [{"name": "placeholder", "type": "tcp", "host": "127.0.0.1", "port": 1}],
    }
    if case.kind != "http":
        spec["auth"] = {"type": "oauth2_client_credentials", "token_url": f"{url}/oauth/token",
                        "client_id": "fuzz", "client_secret": "fuzz-secret"}
    integration = IntegrationSpec.model_validate(spec)
    redactor = Redactor(())
    client = build_client(integration, folder, max_connections=4, timeout_s=CLIENT_TIMEOUT_S)
    credentials = build_provider(integration.auth, integration="fuzz", redactor=redactor,
                                 state_dir=folder / "state")
    return IntegrationRuntime(spec=integration, client=client, credentials=credentials,
                              redactor=redactor, base_dir=folder)


async def _run(case: Case, url: str, folder: Path) -> tuple[ProbeResult, float]:
    rt = _runtime(case, url, folder)
    probe = _probe(case)
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(
            run_probe(rt, probe, RunPolicy(timeout_s=RUN_TIMEOUT_S, retries=0)),
            RUN_TIMEOUT_S + GRACE_S)
    finally:
        await rt.aclose()
    return result, time.monotonic() - started


def _assert_classified(result: ProbeResult, case: Case) -> None:
    failures = [result.failure, *(step.failure for step in result.steps)]
    for failure in failures:
        if failure is None:
            continue
        assert failure.category in set(Category), (failure, case)
        assert failure.category is not Category.INTERNAL, (failure, case)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=cases)
def test_hostile_responses_end_classified_in_time_and_bounded_memory(
    fuzz_server: CannedServer, config_dir: Path, case: Case,
) -> None:
    response = case.render()  # built before tracing: the server's bytes are not the probe's
    fuzz_server.response, fuzz_server.stall = response, case.stall
    tracemalloc.start()
    try:
        result, elapsed = asyncio.run(_run(case, fuzz_server.url, config_dir))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_classified(result, case)
    assert elapsed < RUN_TIMEOUT_S + GRACE_S, (elapsed, case)
    assert peak < MEMORY_BOUND, (f"peak {peak / 2**20:.1f} MiB", case)
