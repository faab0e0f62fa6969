from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from seamwatch.demo import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    FaultSchedule,
    Sandbox,
    create_sandbox_app,
)
from tests.support.servers import UvicornThread


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class SandboxFixture:
    sandbox: Sandbox
    clock: FakeClock
    client: httpx.Client

    def token(self) -> str:
        response = self.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                    auth=(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET))
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def api(self, token: str) -> httpx.Client:
        self.client.headers["Authorization"] = f"Bearer {token}"
        return self.client

    def at(self, offset: float) -> None:
        """Move the clock to `offset` seconds after the sandbox started."""
        self.clock.now = self.sandbox.faults.started + offset


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _serve(clock: FakeClock, schedule: FaultSchedule | None) -> Iterator[SandboxFixture]:
    app = create_sandbox_app(clock=clock, latency_s=0.0, rate_limit=50, schedule=schedule)
    with UvicornThread(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield SandboxFixture(app.state.sandbox, clock, client)


@pytest.fixture
def sbx(clock: FakeClock) -> Iterator[SandboxFixture]:
    """The sandbox with faults switched off (one long `normal` phase)."""
    yield from _serve(clock, FaultSchedule.from_lengths([("normal", 86400)], clock))


@pytest.fixture
def sbx_faults(clock: FakeClock) -> Iterator[SandboxFixture]:
    """The sandbox with the default 12-minute fault schedule."""
    yield from _serve(clock, None)
