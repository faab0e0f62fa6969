from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.redact import Redactor
from probes.credentials import AuthError, CredentialProvider
from probes.result import Category, StepStatus
from tests.probes.auth.conftest import FakeClock, Make
from tests.support.oauth_app import OAuthServer
from tests.support.servers import UvicornThread, client_ssl_context, free_port, make_tls_files


async def _fresh_error(provider: CredentialProvider, client: httpx.AsyncClient) -> AuthError:
    with pytest.raises(AuthError) as err:
        await provider.fetch_fresh(client)
    return err.value


async def test_basic_client_auth_sends_scope_and_audience(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    redactor: Redactor,
) -> None:
    provider = make({**cc, "scope": "charges:read refunds:write", "audience": "https://api.x"})
    credential, step = await provider.fetch_fresh(client)
    req = oauth.last
    assert req.client_auth == "basic" and req.client_id == "seam-client"
    assert req.form == {"grant_type": "client_credentials", "scope": "charges:read refunds:write",
                        "audience": "https://api.x"}
    token = credential.headers["Authorization"].removeprefix("Bearer ")
    assert token in oauth.access_tokens and token in redactor
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200
    assert step.name == "token" and step.status is StepStatus.OK and step.http_status == 200
    assert step.latency_ms is not None and step.latency_ms > 0
    assert step.phases.connect_ms is not None and step.phases.ttfb_ms is not None
    assert step.rate_limit is not None
    assert (step.rate_limit.limit, step.rate_limit.remaining) == (100, 99)


async def test_basic_client_auth_url_encodes_id_and_secret(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    oauth.clients = {"id with:colon": "p@ss/wörd+&= x"}
    provider = make({**cc, "client_id": "id with:colon", "client_secret": "p@ss/wörd+&= x"})
    await provider.fetch_fresh(client)
    assert oauth.last.client_auth == "basic"
    assert oauth.last.client_secret == "p@ss/wörd+&= x"


async def test_body_client_auth(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make({**cc, "client_auth": "body"})
    await provider.fetch_fresh(client)
    req = oauth.last
    assert req.client_auth == "body" and "authorization" not in req.headers
    assert req.form["client_id"] == "seam-client" and req.form["client_secret"] == "s3cret"
    assert "scope" not in req.form and "audience" not in req.form


async def test_lifetime_from_expires_in(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    clock: FakeClock,
) -> None:
    oauth.expires_in = 1800
    credential, _ = await make(cc).fetch_fresh(client)
    assert credential.obtained_at == clock.now
    assert credential.lifetime_s == 1800


@pytest.mark.parametrize("key", [b"hs256-key", None], ids=["hs256", "unsigned"])
async def test_lifetime_from_jwt_exp(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    clock: FakeClock, key: bytes | None,
) -> None:
    oauth.expires_in = None
    oauth.jwt_tokens, oauth.jwt_key, oauth.jwt_exp = True, key, clock.now + 1234
    credential, _ = await make(cc).fetch_fresh(client)
    assert credential.lifetime_s == 1234


async def test_no_expiry_known(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    oauth.expires_in = None
    oauth.token_type = "bearer"
    credential, _ = await make(cc).fetch_fresh(client)
    assert credential.lifetime_s is None
    assert credential.headers["Authorization"].startswith("Bearer at-")


async def test_token_url_on_another_host_than_base_url(
    make: Make, cc: dict[str, Any], oauth: OAuthServer,
) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{free_port()}/api") as other:
        credential, _ = await make(cc).fetch_fresh(other)
    assert credential.headers["Authorization"].removeprefix("Bearer ") in oauth.access_tokens


async def test_invalid_client(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient,
) -> None:
    err = await _fresh_error(make({**cc, "client_secret": "wrong"}), client)
    assert (err.failure.category, err.failure.reason) == (Category.AUTH, "invalid_client")
    assert "401" in err.failure.message and "client authentication failed" in err.failure.message
    assert err.step is not None and err.step.name == "token"
    assert err.step.status is StepStatus.FAILED and err.step.http_status == 401
    assert err.step.failure == err.failure


async def test_server_starts_rejecting_the_client(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    provider = make(cc)
    await provider.fetch_fresh(client)
    oauth.reject_clients = True
    err = await _fresh_error(provider, client)
    assert err.failure.reason == "invalid_client"


@pytest.mark.parametrize(
    ("mode", "category", "reason"),
    [
        ("non_json", Category.SCHEMA, "invalid_token_response"),
        ("no_access_token", Category.SCHEMA, "invalid_token_response"),
        ("bad_expires_in", Category.SCHEMA, "invalid_token_response"),
        ("huge_body", Category.SCHEMA, "body_too_large"),
        ("server_error", Category.SERVER_ERROR, "token_http_500"),
        ("rate_limited", Category.RATE_LIMITED, "token_http_429"),
        ("unavailable_retry_after", Category.RATE_LIMITED, "token_http_503"),
    ],
)
async def test_bad_token_responses(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient, oauth: OAuthServer,
    mode: Any, category: Category, reason: str,
) -> None:
    oauth.mode = mode
    err = await _fresh_error(make(cc), client)
    assert (err.failure.category, err.failure.reason) == (category, reason)
    assert err.step is not None and err.step.http_status is not None
    if mode == "rate_limited":
        assert err.step.rate_limit is not None
        assert err.step.rate_limit.retry_after_s == 7 and err.step.rate_limit.remaining == 0


async def test_refused_connection_is_classified(make: Make, cc: dict[str, Any]) -> None:
    provider = make({**cc, "token_url": f"http://127.0.0.1:{free_port()}/oauth/token"})
    async with httpx.AsyncClient(timeout=5.0) as plain:
        err = await _fresh_error(provider, plain)
    assert err.failure.category is Category.CONNECTION
    assert err.step is not None and err.step.http_status is None


async def test_transport_fallback_without_the_classifier(
    make: Make, cc: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "probes.classify", None)
    provider = make({**cc, "token_url": f"http://127.0.0.1:{free_port()}/oauth/token"})
    async with httpx.AsyncClient(timeout=5.0) as plain:
        err = await _fresh_error(provider, plain)
    assert (err.failure.category, err.failure.reason) == (Category.CONNECTION, "connect_error")


async def test_malformed_token_url_is_a_config_failure(
    make: Make, cc: dict[str, Any], client: httpx.AsyncClient,
) -> None:
    err = await _fresh_error(make({**cc, "token_url": "http://[::1/oauth/token"}), client)
    assert (err.failure.category, err.failure.reason) == (Category.CONFIG, "invalid_token_url")


async def test_token_endpoint_over_tls(
    make: Make, cc: dict[str, Any], oauth: OAuthServer, tmp_path: Path,
) -> None:
    tls = make_tls_files(tmp_path / "tls")
    with UvicornThread(oauth.app, tls=tls) as secure:
        provider = make({**cc, "token_url": f"{secure.url}/oauth/token"})
        ctx = client_ssl_context(tls.ca_pem)
        async with httpx.AsyncClient(verify=ctx, timeout=10.0) as trusting:
            credential, step = await provider.fetch_fresh(trusting)
            me = await trusting.get(f"{secure.url}/api/me", headers=credential.headers)
        assert me.status_code == 200
        assert step.phases.tls_ms is not None
        other_ca = make_tls_files(tmp_path / "other")
        async with httpx.AsyncClient(verify=client_ssl_context(other_ca.ca_pem)) as untrusting:
            err = await _fresh_error(provider, untrusting)
        assert err.failure.category is Category.TLS
        assert err.failure.reason == "cert_untrusted"
