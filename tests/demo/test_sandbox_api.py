"""The sandbox's OAuth2 token endpoint, customers resource, bearer auth and rate limits, over HTTP
against a real uvicorn server on loopback (time from a fake clock)."""

from __future__ import annotations

import base64

from seamwatch.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from tests.demo.conftest import SandboxFixture


def test_token_with_basic_client_auth(sbx: SandboxFixture) -> None:
    response = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials",
                                                     "scope": "customers:read"},
                               auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "customers:read"
    assert body["access_token"].startswith("sbx_")
    assert response.headers["X-Sandbox-Phase"] == "normal"
    assert "X-RateLimit-Limit" in response.headers


def test_token_with_client_secret_in_body(sbx: SandboxFixture) -> None:
    response = sbx.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET})
    assert response.status_code == 200
    assert sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)).json()["access_token"] \
        != response.json()["access_token"]


def test_token_rejects_bad_clients_and_grants(sbx: SandboxFixture) -> None:
    wrong = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(DEMO_CLIENT_ID, "wrong"))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    unknown = sbx.client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "someone", "client_secret": "x"})
    assert unknown.status_code == 401
    missing = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert missing.status_code == 401
    garbled = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                              headers={"Authorization": "Basic !!!"})
    assert garbled.status_code == 401
    grant = sbx.client.post("/oauth/token", data={"grant_type": "password"},
                            auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
    assert grant.status_code == 400
    assert grant.json()["error"] == "unsupported_grant_type"


def test_token_percent_encoded_basic_credentials(sbx: SandboxFixture) -> None:
    encoded = base64.b64encode(f"{DEMO_CLIENT_ID}:{DEMO_CLIENT_SECRET}".encode()).decode()
    response = sbx.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers={"Authorization": f"Basic {encoded}"})
    assert response.status_code == 200


def test_customer_round_trip(sbx: SandboxFixture) -> None:
    api = sbx.api(sbx.token())
    listed = api.get("/v1/customers", params={"limit": 2})
    assert listed.status_code == 200
    assert listed.json()["has_more"] is True
    assert [c["id"] for c in listed.json()["data"]] == ["cus_seed0001", "cus_seed0002"]

    created = api.post("/v1/customers", json={"email": "probe+1@example.com", "name": "Probe"})
    assert created.status_code == 201
    cid = created.json()["id"]
    assert cid.startswith("cus_")
    fetched = api.get(f"/v1/customers/{cid}")
    assert fetched.status_code == 200
    assert fetched.json()["email"] == "probe+1@example.com"
    assert cid in [c["id"] for c in api.get("/v1/customers", params={"limit": 100}).json()["data"]]

    deleted = api.delete(f"/v1/customers/{cid}")
    assert deleted.status_code == 200
    assert deleted.json() == {"id": cid, "object": "customer", "deleted": True}
    assert api.get(f"/v1/customers/{cid}").status_code == 404
    assert api.delete(f"/v1/customers/{cid}").status_code == 404


def test_create_validates_its_body(sbx: SandboxFixture) -> None:
    api = sbx.api(sbx.token())
    assert api.post("/v1/customers", json={"name": "no email"}).status_code == 400
    assert api.post("/v1/customers", content=b"not json").status_code == 400
    assert api.get("/v1/customers", params={"limit": "many"}).status_code == 400


def test_api_requires_a_valid_unexpired_token(sbx: SandboxFixture) -> None:
    missing = sbx.client.get("/v1/customers")
    assert missing.status_code == 401
    assert "Bearer" in missing.headers["WWW-Authenticate"]
    assert "X-RateLimit-Remaining" in missing.headers

    unknown = sbx.client.get("/v1/customers", headers={"Authorization": "Bearer sbx_forged"})
    assert unknown.status_code == 401
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]

    api = sbx.api(sbx.token())
    assert api.get("/v1/customers").status_code == 200
    sbx.clock.advance(299)
    assert api.get("/v1/customers").status_code == 200
    sbx.clock.advance(2)  # past expires_in=300
    expired = api.get("/v1/customers")
    assert expired.status_code == 401
    assert expired.json()["error"]["type"] == "authentication_error"


def test_rate_limit_headers_and_429(sbx: SandboxFixture) -> None:
    api = sbx.api(sbx.token())
    seen = []
    for _ in range(50):
        response = api.get("/v1/customers/cus_seed0001")
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "50"
        assert 1 <= int(response.headers["X-RateLimit-Reset"]) <= 60
        seen.append(int(response.headers["X-RateLimit-Remaining"]))
    assert seen == list(range(49, -1, -1))

    sbx.clock.advance(20)
    limited = api.get("/v1/customers")
    assert limited.status_code == 429
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["Retry-After"] == "40"
    assert limited.json()["error"]["type"] == "rate_limit_error"

    sbx.clock.advance(40)  # a new window
    again = api.get("/v1/customers")
    assert again.status_code == 200
    assert again.headers["X-RateLimit-Remaining"] == "49"


def test_rate_limit_window_is_per_token(sbx: SandboxFixture) -> None:
    first = sbx.token()
    api = sbx.api(first)
    for _ in range(50):
        api.get("/v1/customers")
    assert api.get("/v1/customers").status_code == 429
    fresh = sbx.api(sbx.token()).get("/v1/customers")
    assert fresh.status_code == 200
    assert fresh.headers["X-RateLimit-Remaining"] == "49"
