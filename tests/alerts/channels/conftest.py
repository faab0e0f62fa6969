"""Channel test helpers: a config with named channels, a loopback receiver, and a guard that
fails a test whose code (Apprise's plugins included) resolves any name but loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from alerts.channels.registry import AnyChannel
from alerts.routing import Alerting, RouteSpec
from alerts.spec import NotifySpec
from tests.alerts.conftest import Cfg, make_config
from tests.support.receiver import Receiver
from tests.support.servers import UvicornThread

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def channel(data: dict[str, Any]) -> AnyChannel:
    from pydantic import TypeAdapter

    return TypeAdapter(AnyChannel).validate_python(data)


def routed_config(
    channels: dict[str, dict[str, Any]], probes: dict[str, dict[str, Any]] | list[str],
    routes: list[dict[str, Any]] | None = None, **notify: Any,
) -> Cfg:
    cfg = make_config(None, probes)
    cfg.routed = Alerting(
        NotifySpec.model_validate({"group_wait": "0s", **notify}),
        {name: channel(spec) for name, spec in channels.items()},
        [RouteSpec.model_validate(r) for r in routes or ()],
    )
    return cfg


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Any name resolved off loopback fails the test (and is refused)."""
    real = socket.getaddrinfo
    outside: list[str] = []

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            outside.append(name)
            raise OSError(f"test tried to reach {name}, which is not loopback")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield outside
    assert not outside, f"resolved names off loopback: {outside}"


def start_receiver(receiver: Receiver) -> UvicornThread:
    return UvicornThread(receiver).start()
