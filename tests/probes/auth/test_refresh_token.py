from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.redact import Redactor
from probes.auth.state import RefreshTokenState, fingerprint
from probes.credentials import AuthError
from probes.result import Category, ExpiryKind
from tests.probes.auth.conftest import Make
from tests.support.oauth_app import OAuthServer


def _rt(token_url: str, refresh_token: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "oauth2_refresh_token", "token_url": token_url, "client_id": "seam-client",
        "client_secret": "s3cret", "refresh_token": refresh_token, **extra,
    }


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_refresh_grant_without_rotation_writes_nothing(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer, state_dir: Path,
) -> None:
    r0 = oauth.issue_refresh_token()
    credential, step = await make(_rt(token_url, r0, scope="offline")).fetch_fresh(client)
    assert oauth.last.form == {"grant_type": "refresh_token", "refresh_token": r0,
                               "scope": "offline"}
    assert oauth.last.client_auth == "basic" and step.name == "token"
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200
    # no token is written; the refresh only took the (empty) lock beside the state file
    lock = state_dir / "payments.refresh_token.json.lock"
    assert [p.name for p in state_dir.iterdir()] == [lock.name]
    assert lock.read_bytes() == b"" and _mode(lock) == 0o600


async def test_rotation_is_persisted_0600_and_survives_a_restart(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer, state_dir: Path,
    redactor: Redactor,
) -> None:
    oauth.rotate_refresh = True
    r0 = oauth.issue_refresh_token()
    provider = make(_rt(token_url, r0))
    await provider.fetch_fresh(client)
    (r1,) = oauth.refresh_tokens
    assert r1 != r0 and r1 in redactor
    path = state_dir / "payments.refresh_token.json"
    assert _mode(path) == 0o600 and _mode(state_dir) == 0o700
    stored = json.loads(path.read_text())
    assert stored["refresh_token"] == r1 and stored["config_fingerprint"] == fingerprint(r0)
    assert sorted(p.name for p in state_dir.iterdir()) == [path.name, f"{path.name}.lock"]

    await provider.fetch_fresh(client)  # the same instance uses the rotated token
    assert oauth.last.form["refresh_token"] == r1
    (r2,) = oauth.refresh_tokens

    restarted = make(_rt(token_url, r0))  # a restart: config still says r0, which is revoked
    credential, _ = await restarted.fetch_fresh(client)
    assert oauth.last.form["refresh_token"] == r2
    assert (await client.get("/api/me", headers=credential.headers)).status_code == 200


async def test_a_new_config_token_wins_over_the_state_file(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer, state_dir: Path,
) -> None:
    oauth.rotate_refresh = True
    await make(_rt(token_url, oauth.issue_refresh_token())).fetch_fresh(client)
    pasted = oauth.issue_refresh_token()  # the user pastes a new token into the config
    await make(_rt(token_url, pasted)).fetch_fresh(client)
    assert oauth.last.form["refresh_token"] == pasted
    stored = json.loads((state_dir / "payments.refresh_token.json").read_text())
    assert stored["config_fingerprint"] == fingerprint(pasted)
    assert stored["refresh_token"] in oauth.refresh_tokens


async def test_state_file_from_the_spec(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer, state_dir: Path,
    tmp_path: Path,
) -> None:
    oauth.rotate_refresh = True
    absolute = tmp_path / "elsewhere" / "crm.json"
    await make(_rt(token_url, oauth.issue_refresh_token(), state_file=str(absolute)),
               name="crm").fetch_fresh(client)
    await make(_rt(token_url, oauth.issue_refresh_token(), state_file="rel/crm2.json"),
               name="crm2").fetch_fresh(client)
    assert _mode(absolute) == 0o600
    assert _mode(state_dir / "rel" / "crm2.json") == 0o600


async def test_invalid_refresh_token(
    make: Make, token_url: str, client: httpx.AsyncClient,
) -> None:
    with pytest.raises(AuthError) as err:
        await make(_rt(token_url, "rt-never-issued")).fetch_fresh(client)
    assert (err.value.failure.category, err.value.failure.reason) == (
        Category.AUTH, "invalid_grant")


async def test_public_client_sends_its_id_in_the_body(
    make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    oauth.clients = {"public-app": None}
    spec = _rt(token_url, oauth.issue_refresh_token(), client_id="public-app")
    del spec["client_secret"]
    await make(spec).fetch_fresh(client)
    assert oauth.last.client_auth == "none" and "authorization" not in oauth.last.headers
    assert oauth.last.form["client_id"] == "public-app"


def test_state_file_mode_ignores_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "x.refresh_token.json"
    state = RefreshTokenState(path, "configured-token")
    old = os.umask(0)
    try:
        state.save("rotated-1")
        state.save("rotated-2")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert state.load() == "rotated-2"
    assert RefreshTokenState(path, "another-config-token").load() is None


def test_unreadable_or_foreign_state_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    state = RefreshTokenState(path, "configured-token")
    assert state.load() is None
    path.write_text("{not json")
    assert state.load() is None
    path.write_text(json.dumps(["list"]))
    assert state.load() is None
    path.write_text(json.dumps({"refresh_token": 5, "config_fingerprint":
                                fingerprint("configured-token")}))
    assert state.load() is None


@pytest.mark.parametrize("key", ["refresh_token_expires_in", "refresh_expires_in"])
async def test_the_refresh_tokens_expiry_is_reported(
    key: str, make: Make, token_url: str, client: httpx.AsyncClient, oauth: OAuthServer,
) -> None:
    oauth.refresh_expires = (key, 5 * 86400)
    oauth.expires_in = 300
    spec = _rt(token_url, oauth.issue_refresh_token(), expires_at="2027-01-31")
    credential, _ = await make(spec).fetch_fresh(client)
    got = {e.kind: e for e in credential.expiries}
    assert set(got) == {ExpiryKind.ACCESS_TOKEN, ExpiryKind.REFRESH_TOKEN, ExpiryKind.DECLARED}
    assert got[ExpiryKind.ACCESS_TOKEN].lifetime_s == 300
    refresh = got[ExpiryKind.REFRESH_TOKEN]
    assert refresh.subject == "refresh token" and refresh.lifetime_s == 5 * 86400
    assert refresh.expires_at_s == pytest.approx(credential.obtained_at + 5 * 86400)
    assert got[ExpiryKind.DECLARED].subject == "refresh token (declared expires_at)"
