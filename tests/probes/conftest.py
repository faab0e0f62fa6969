"""Shared servers (session-scoped, loopback only) and runtime builders for the probe tests."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from core.redact import Redactor
from probes.credentials import AuthError, Credential, CredentialProvider
from probes.heartbeats import HeartbeatRegistry
from probes.http.client import build_client
from probes.kinds.base import ProbeCommon
from probes.kinds.heartbeat import HeartbeatProbe
from probes.kinds.http import HttpProbe
from probes.registry import kind_of
from probes.result import Attempt, Category, Failure, StepResult, StepStatus
from probes.run import RunPolicy
from probes.runtime import IntegrationRuntime
from probes.spec import IntegrationSpec
from tests.support import testapi
from tests.support.servers import RawTcpServer, TlsFiles, UvicornThread, make_tls_files

# A hostname that cannot resolve and never leaves this machine: anyio hands the name to glibc's
# getaddrinfo as bytes (no Python IDNA check), glibc looks in /etc/hosts (files), then cannot even
# build a DNS query for a 64-octet label (RFC 1035 caps labels at 63) and fails with EAI_NONAME
# without opening a socket (checked with strace: no UDP socket, no packet to the nameserver).
# Names under `.invalid` would still be sent to the configured resolver, so they are not used.
UNRESOLVABLE = "a" * 64 + ".seamwatch.test"


# ------------------------------------------------------------------------- fake credentials


class StaticBearer:
    """A static credential: refresh() returns the same one (nothing better to try)."""

    def __init__(self, token: str) -> None:
        self.credential = Credential(headers={"Authorization": f"Bearer {token}"},
                                     obtained_at=time.time())
        self.refreshes = 0

    async def current(self, client: Any) -> Credential:
        return self.credential

    async def refresh(self, client: Any, stale: Credential) -> Credential:
        self.refreshes += 1
        return self.credential

    async def fetch_fresh(self, client: Any) -> tuple[Credential, StepResult]:
        return self.credential, StepResult("token", StepStatus.OK)


class RotatingBearer(StaticBearer):
    """Hands out `tokens[0]` until a refresh, then the next token."""

    def __init__(self, *tokens: str) -> None:
        super().__init__(tokens[0])
        self.tokens = list(tokens)

    async def refresh(self, client: Any, stale: Credential) -> Credential:
        self.refreshes += 1
        index = min(self.refreshes, len(self.tokens) - 1)
        self.credential = Credential(
            headers={"Authorization": f"Bearer {self.tokens[index]}"}, obtained_at=time.time()
        )
        return self.credential


class FailingProvider(StaticBearer):
    """The token endpoint said no."""

    def __init__(self) -> None:
        super().__init__("unused")

    async def current(self, client: Any) -> Credential:
        raise AuthError(Failure(Category.AUTH, "invalid_client", "token endpoint: invalid_client"))


# --------------------------------------------------------------------------------- servers


@pytest.fixture(scope="session")
def api() -> testapi.TestApi:
    return testapi.TestApi()


@pytest.fixture(scope="session")
def api_server(api: testapi.TestApi) -> Iterator[UvicornThread]:
    with UvicornThread(api.app) as server:
        yield server


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


def _tls_server(api: testapi.TestApi, files: TlsFiles) -> Iterator[UvicornThread]:
    with UvicornThread(api.app, tls=files) as server:
        yield server


@pytest.fixture(scope="session")
def tls_good(tmp_path_factory: pytest.TempPathFactory, ca: trustme.CA) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("good"), ca=ca)


@pytest.fixture(scope="session")
def tls_server(api: testapi.TestApi, tls_good: TlsFiles) -> Iterator[UvicornThread]:
    yield from _tls_server(api, tls_good)


@pytest.fixture(scope="session")
def expired_server(api: testapi.TestApi, tmp_path_factory: pytest.TempPathFactory,
                   ca: trustme.CA) -> Iterator[UvicornThread]:
    past = datetime.now(UTC) - timedelta(days=3)
    files = make_tls_files(tmp_path_factory.mktemp("expired"), ca=ca, not_after=past)
    yield from _tls_server(api, files)


@pytest.fixture(scope="session")
def expiring_server(api: testapi.TestApi, tmp_path_factory: pytest.TempPathFactory,
                    ca: trustme.CA) -> Iterator[UvicornThread]:
    soon = datetime.now(UTC) + timedelta(days=10)
    files = make_tls_files(tmp_path_factory.mktemp("expiring"), ca=ca, not_after=soon)
    yield from _tls_server(api, files)


@pytest.fixture(scope="session")
def wronghost_server(api: testapi.TestApi, tmp_path_factory: pytest.TempPathFactory,
                     ca: trustme.CA) -> Iterator[UvicornThread]:
    files = make_tls_files(tmp_path_factory.mktemp("wronghost"), ca=ca,
                           hostnames=("other.example",))
    yield from _tls_server(api, files)


@pytest.fixture(scope="session")
def untrusted_server(api: testapi.TestApi, tmp_path_factory: pytest.TempPathFactory
                     ) -> Iterator[UvicornThread]:
    files = make_tls_files(tmp_path_factory.mktemp("untrusted"), ca=trustme.CA())
    yield from _tls_server(api, files)


def _raw(handler: Callable[[socket.socket], None]) -> Iterator[RawTcpServer]:
    with RawTcpServer(handler) as server:
        yield server


@pytest.fixture(scope="session")
def never_answer_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.never_answer)


@pytest.fixture(scope="session")
def reset_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.reset_after_request)


@pytest.fixture(scope="session")
def no_response_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.close_without_response)


@pytest.fixture(scope="session")
def mid_body_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.close_mid_body)


@pytest.fixture(scope="session")
def garbage_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.garbage)


@pytest.fixture(scope="session")
def banner_server() -> Iterator[RawTcpServer]:
    yield from _raw(testapi.tcp_echo_banner)


@pytest.fixture
def full_backlog_port() -> Iterator[int]:
    """A listening socket that never accepts, its backlog filled: further SYNs are dropped by the
    kernel, so a connect() hangs until the client's connect timeout (loopback only)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for sock in [*fillers, listener]:
        sock.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connect is refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------- runtime

MakeRuntime = Callable[..., IntegrationRuntime]


@pytest.fixture
async def make_rt(tmp_path: Path) -> AsyncIterator[MakeRuntime]:
    made: list[IntegrationRuntime] = []

    def make(base_url: str | None = None, *, credentials: CredentialProvider | None = None,
             secrets: tuple[str, ...] = (), timeout_s: float = 5.0, max_connections: int = 10,
             base_dir: Path | None = None, **spec: Any) -> IntegrationRuntime:
        integration = IntegrationSpec.model_validate({
            "name": "it", "base_url": base_url,
            "probes": [{"name": "placeholder", "type": "tcp", "host": "127.0.0.1", "port": 1}],
            **spec,
        })
        folder = base_dir or tmp_path
        redactor = Redactor(secrets)
        client = build_client(integration, folder, max_connections=max_connections,
                              timeout_s=timeout_s, redactor=redactor)
        rt = IntegrationRuntime(spec=integration, client=client, credentials=credentials,
                                redactor=redactor, base_dir=folder)
        made.append(rt)
        return rt

    yield make
    for rt in made:
        await rt.aclose()


AttemptOf = Callable[..., Awaitable[Attempt]]


@pytest.fixture
def attempt_of(make_rt: MakeRuntime) -> AttemptOf:
    """One attempt of `probe`, dispatched through the registry as probes/run.py does, on a runtime
    whose config folder is `base_dir` (default: the test's tmp_path)."""

    async def run(probe: ProbeCommon, base_dir: Path | None = None) -> Attempt:
        return await kind_of(probe).attempt(make_rt(base_dir=base_dir), probe, Attempt())

    return run


def policy(probe: ProbeCommon, **thresholds: Any) -> RunPolicy:
    """The run policy the config resolution gives `probe` (its timeout and retries), plus any
    degraded thresholds."""
    return RunPolicy(timeout_s=probe.timeout, retries=probe.retries, **thresholds)


def http_probe(*steps: dict[str, Any], **options: Any) -> HttpProbe:
    """An HttpProbe from step dicts as they would appear in the YAML file."""
    return HttpProbe.model_validate({"name": "probe", "steps": list(steps), **options})


def step(path: str, name: str = "call", **options: Any) -> dict[str, Any]:
    return {"name": name, "path": path, **options}


# ------------------------------------------------------------------------------- heartbeats


class StepClock:
    """A monotonic clock that moves only when a test sets `t`."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def heartbeat_probe(**options: Any) -> HeartbeatProbe:
    """The heartbeat probe `nightly` (period 1m) with `options`."""
    return HeartbeatProbe.model_validate({"name": "nightly", "type": "heartbeat",
                                          "period": "1m", **options})


def heartbeat_registry(clock: StepClock, **probes: HeartbeatProbe) -> HeartbeatRegistry:
    """A registry knowing `it/<name>` for each probe, on `clock`."""
    registry = HeartbeatRegistry(clock=clock, wall=time.time)
    registry.configure((f"it/{name}", probe) for name, probe in probes.items())
    return registry
