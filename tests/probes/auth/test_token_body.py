"""Token endpoint bodies (issue 9, items 10 and 11): read with the HTTP probes' capped reader, so
a gzip bomb stops at the cap with the probes' `body_too_large` instead of inflating in memory,
and JSON nested too deeply is `schema`/`json_too_deep`, never `internal`."""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from probes.auth.exchange import MAX_TOKEN_BODY
from probes.credentials import AuthError
from probes.kinds.auth import AuthProbe
from probes.run import run_probe
from tests.probes.auth.conftest import Make
from tests.probes.conftest import MakeRuntime, policy
from tests.probes.http.canned import CannedServer, gzip_bomb, http_response

BOMB_MIB = 128
JSON = ("Content-Type", "application/json")


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return gzip_bomb(BOMB_MIB)


def _token_auth(cc: dict[str, Any], server: CannedServer) -> dict[str, Any]:
    return {**cc, "token_url": f"{server.url}/oauth/token"}


async def _failure(make: Make, make_rt: MakeRuntime, auth: dict[str, Any]) -> tuple[Any, int]:
    """Fetch a token with the integration's own client (it asks for gzip, as in production);
    return the failure and the peak of traced memory while fetching."""
    provider = make(auth)
    rt = make_rt()
    tracemalloc.start()
    try:
        with pytest.raises(AuthError) as caught:
            await provider.fetch_fresh(rt.client)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return caught.value.failure, peak


async def test_gzip_bomb_stops_at_the_cap(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any], bomb: bytes,
) -> None:
    assert len(bomb) < 200 * 1024  # small on the wire...
    response = http_response(200, bomb, [JSON, ("Content-Encoding", "gzip")])
    with CannedServer(response) as server:
        failure, peak = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("schema", "body_too_large")
    assert str(MAX_TOKEN_BODY) in failure.message
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"  # ...128 MiB decoded


async def test_corrupt_gzip_is_a_decoding_error(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any],
) -> None:
    response = http_response(200, b"not gzip at all", [JSON, ("Content-Encoding", "gzip")])
    with CannedServer(response) as server:
        failure, _ = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("schema", "decoding_error")


async def test_declared_length_over_the_cap_is_not_read(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any],
) -> None:
    body = b'{"access_token": "' + b"x" * (MAX_TOKEN_BODY + 10) + b'"}'
    with CannedServer(http_response(200, body, [JSON])) as server:
        failure, _ = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("schema", "body_too_large")


async def test_error_status_with_a_huge_body_keeps_its_http_reason(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any], bomb: bytes,
) -> None:
    response = http_response(502, bomb, [JSON, ("Content-Encoding", "gzip")])
    with CannedServer(response) as server:
        failure, _ = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("server_error", "token_http_502")


async def test_deeply_nested_token_response_is_schema_not_internal(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any],
) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    with CannedServer(http_response(200, body, [JSON])) as server:
        auth = _token_auth(cc, server)
        failure, _ = await _failure(make, make_rt, auth)
        assert (failure.category, failure.reason) == ("schema", "json_too_deep")
        # the same through the auth probe's run
        rt = make_rt(credentials=make(auth))
        probe = AuthProbe.model_validate({"name": "auth"})
        result = await run_probe(rt, probe, policy(probe))
    assert (result.category, result.reason) == ("schema", "json_too_deep")
    assert result.failed_step == "token"


async def test_expires_in_too_large_for_a_float_is_schema(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any],
) -> None:
    body = b'{"access_token": "t", "expires_in": 1' + b"0" * 400 + b"}"
    with CannedServer(http_response(200, body, [JSON])) as server:
        failure, _ = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("schema", "invalid_token_response")


@pytest.mark.parametrize("body", [
    b'{"access_token": "a\\nb"}', b'{"access_token": "t", "token_type": "\\u00e9"}',
    b'{"access_token": "t\\u0000"}',
])
async def test_token_that_cannot_go_in_a_header_is_schema(
    make: Make, make_rt: MakeRuntime, cc: dict[str, Any], body: bytes,
) -> None:
    with CannedServer(http_response(200, body, [JSON])) as server:
        failure, _ = await _failure(make, make_rt, _token_auth(cc, server))
    assert (failure.category, failure.reason) == ("schema", "invalid_token_response")
