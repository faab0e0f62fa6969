from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from probes.credentials import AuthError, Credential
from tests.probes.auth.conftest import FakeClock, Make
from tests.support.oauth_app import OAuthServer


def _token(credential: Credential) -> str:
    return credential.headers["Authorization"].removeprefix("Bearer ")


async def test_concurrent_current_shares_one_fetch(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    credentials = await asyncio.gather(*(provider.current(client) for _ in range(20)))
    assert oauth.token_requests == 1
    assert len({_token(c) for c in credentials}) == 1
    assert await provider.current(client) is credentials[0]
    assert oauth.token_requests == 1


async def test_expiry_with_safety_margin(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    clock: FakeClock,
) -> None:
    oauth.expires_in = 3600
    provider = make(cc)
    first = await provider.current(client)
    clock.advance(3500)  # 100 s left: still outside the 30 s margin
    assert await provider.current(client) is first
    clock.advance(80)  # 20 s left: inside the margin
    second = await provider.current(client)
    assert oauth.token_requests == 2 and _token(second) != _token(first)
    clock.advance(10_000)
    third = await provider.current(client)
    assert oauth.token_requests == 3 and _token(third) != _token(second)


async def test_short_lived_tokens_are_still_reused(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    clock: FakeClock,
) -> None:
    oauth.expires_in = 20  # margin shrinks to a quarter of the lifetime
    provider = make(cc)
    first = await provider.current(client)
    clock.advance(10)
    assert await provider.current(client) is first
    assert oauth.token_requests == 1


async def test_concurrent_refresh_of_the_same_stale_credential(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    stale = await provider.current(client)
    a, b = await asyncio.gather(provider.refresh(client, stale), provider.refresh(client, stale))
    assert oauth.token_requests == 2  # the first fetch plus exactly one refresh
    assert _token(a) == _token(b) != _token(stale)
    # a late caller holding the old credential gets the newer one without a fetch
    assert _token(await provider.refresh(client, stale)) == _token(a)
    assert oauth.token_requests == 2


async def test_revoked_token_refresh_path(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    credential = await provider.current(client)
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200
    oauth.revoke_access_tokens()
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 401
    renewed = await provider.refresh(client, credential)
    assert (await client.get("/api/me", headers=renewed.headers)).status_code == 200
    assert await provider.current(client) is renewed


async def test_fetch_fresh_always_fetches_and_warms_the_cache(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    first = await provider.current(client)
    fresh, _ = await provider.fetch_fresh(client)
    fresher, _ = await provider.fetch_fresh(client)
    assert oauth.token_requests == 3
    assert len({_token(first), _token(fresh), _token(fresher)}) == 3
    assert await provider.current(client) is fresher
    assert oauth.token_requests == 3


async def test_waiters_share_a_failed_fetch_then_retry_later(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    oauth.mode = "server_error"
    provider = make(cc)
    results = await asyncio.gather(
        *(provider.current(client) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, AuthError) for r in results)
    assert {r.failure.reason for r in results if isinstance(r, AuthError)} == {"token_http_500"}
    assert oauth.token_requests == 1
    oauth.mode = "ok"
    credential = await provider.current(client)  # a new caller tries again
    assert oauth.token_requests == 2
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200


async def test_failed_refresh_keeps_raising_until_the_server_recovers(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    stale = await provider.current(client)
    oauth.reject_clients = True
    with pytest.raises(AuthError) as err:
        await provider.refresh(client, stale)
    assert err.value.failure.reason == "invalid_client"
    oauth.reject_clients = False
    assert _token(await provider.refresh(client, stale)) != _token(stale)
