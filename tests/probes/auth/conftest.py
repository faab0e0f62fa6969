from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.credentials import CredentialProvider
from probes.spec import IntegrationSpec
from tests.support.oauth_app import OAuthServer
from tests.support.servers import UvicornThread


class FakeClock:
    """An injectable clock: time moves only when a test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth() -> OAuthServer:
    return OAuthServer()


@pytest.fixture
def server(oauth: OAuthServer) -> Iterator[UvicornThread]:
    with UvicornThread(oauth.app) as running:
        yield running


@pytest.fixture
async def client(server: UvicornThread) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10.0) as c:
        yield c


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def auth_spec(auth: dict[str, Any], name: str = "payments") -> IntegrationSpec:
    return IntegrationSpec.model_validate({"name": name, "auth": auth})


class Make:
    """Builds a provider from an auth dict the way the app does (through the config schema)."""

    def __init__(self, redactor: Redactor, state_dir: Path, clock: FakeClock) -> None:
        self.redactor = redactor
        self.state_dir = state_dir
        self.clock = clock

    def __call__(self, auth: dict[str, Any], name: str = "payments") -> CredentialProvider:
        spec = auth_spec(auth, name)
        provider = build_provider(
            spec.auth, integration=name, redactor=self.redactor, state_dir=self.state_dir,
            clock=self.clock,
        )
        assert provider is not None
        return provider


@pytest.fixture
def make(redactor: Redactor, state_dir: Path, clock: FakeClock) -> Make:
    return Make(redactor, state_dir, clock)


@pytest.fixture
def token_url(server: UvicornThread) -> str:
    return f"{server.url}/oauth/token"


@pytest.fixture
def cc(token_url: str) -> dict[str, Any]:
    """An oauth2_client_credentials block for the default test client."""
    return {
        "type": "oauth2_client_credentials", "token_url": token_url,
        "client_id": "seam-client", "client_secret": "s3cret",
    }
