"""The capped body reader: decoded bytes are counted, a bomb never inflates past the cap."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from probes.classify import classify_exception
from probes.http.client import read_capped
from probes.http.exchange import run_http_attempt
from tests.probes.conftest import MakeRuntime, http_probe, step
from tests.support.servers import UvicornThread

PAYLOAD = b'{"hello": "world"}' * 100


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, data: bytes, size: int = 1000) -> None:
        self.parts = [data[i : i + size] for i in range(0, len(data), size)]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for part in self.parts:
            yield part


def _response(data: bytes, encoding: str | None = None, length: bool = False) -> httpx.Response:
    headers = {"Content-Encoding": encoding} if encoding else {}
    if length:
        headers["Content-Length"] = str(len(data))
    return httpx.Response(200, headers=headers, stream=_Chunks(data))


def _raw_deflate(data: bytes) -> bytes:
    obj = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return obj.compress(data) + obj.flush()


@pytest.mark.parametrize(("encoded", "encoding"), [
    (PAYLOAD, None), (PAYLOAD, "identity"), (gzip.compress(PAYLOAD), "gzip"),
    (gzip.compress(PAYLOAD), "x-gzip"), (zlib.compress(PAYLOAD), "deflate"),
    (_raw_deflate(PAYLOAD), "deflate"),
])
async def test_decodes_within_cap(encoded: bytes, encoding: str | None) -> None:
    body, too_large = await read_capped(_response(encoded, encoding), len(PAYLOAD))
    assert (body, too_large) == (PAYLOAD, False)


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
async def test_over_cap_by_one(encoding: str | None) -> None:
    data = {None: PAYLOAD, "gzip": gzip.compress(PAYLOAD),
            "deflate": zlib.compress(PAYLOAD)}[encoding]
    body, too_large = await read_capped(_response(data, encoding), len(PAYLOAD) - 1)
    assert too_large and len(body) == len(PAYLOAD) - 1


async def test_declared_length_over_cap_reads_nothing() -> None:
    body, too_large = await read_capped(_response(PAYLOAD, length=True), 10)
    assert (body, too_large) == (b"", True)


async def test_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    body, too_large = await read_capped(_response(bomb, "gzip", length=True), 4096)
    assert too_large and len(body) == 4096


async def test_corrupt_gzip_is_a_schema_failure() -> None:
    with pytest.raises(httpx.DecodingError) as caught:
        await read_capped(_response(b"definitely not gzip", "gzip"), 1000)
    failure = classify_exception(caught.value)
    assert (failure.category, failure.reason) == ("schema", "decoding_error")


async def test_gzip_json_from_server(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    probe = http_probe(step("/gzip-json", expect={"json": {"$.zipped": {"equals": True}}}))
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure


async def test_max_body_option(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    probe = http_probe(step("/v1/items"), max_body="16B")
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is not None and attempt.failure.reason == "body_too_large"
