"""The tcp probe kind against raw loopback servers."""

from __future__ import annotations

from typing import Any

import pytest

from probes.kinds.tcp import TcpProbe
from tests.probes.conftest import AttemptOf
from tests.support.servers import RawTcpServer


def _probe(port: int, **options: Any) -> TcpProbe:
    return TcpProbe.model_validate({"name": "port", "type": "tcp", "host": "127.0.0.1",
                                    "port": port, "timeout": "2s", **options})


async def test_connect_only(banner_server: RawTcpServer, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(banner_server.port))
    assert attempt.failure is None
    assert attempt.steps[0].phases.connect_ms is not None


async def test_send_and_expect(banner_server: RawTcpServer, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(banner_server.port, send="PING\r\n",
                                      expect_contains="PONG"))
    assert attempt.failure is None, attempt.failure
    assert attempt.steps[0].phases.ttfb_ms is not None


@pytest.mark.parametrize(("server", "options", "expected"), [
    ("banner_server", {"send": "HELLO\n", "expect_contains": "PONG"},
     ("assertion", "content_mismatch")),
    ("no_response_server", {"send": "PING\r\n\r\n", "expect_contains": "PONG"},
     ("connection", "closed_early")),
    ("never_answer_server", {"send": "PING\n", "expect_contains": "PONG", "timeout": "300ms"},
     ("timeout", "read_timeout")),
])
async def test_failures(server: str, options: dict[str, Any], expected: tuple[str, str],
                        request: pytest.FixtureRequest, attempt_of: AttemptOf) -> None:
    raw: RawTcpServer = request.getfixturevalue(server)
    attempt = await attempt_of(_probe(raw.port, **options))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == expected
    assert attempt.failed_step == "connect"


async def test_refused(closed_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(closed_port))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("connection", "refused")


async def test_connect_timeout(full_backlog_port: int, attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(full_backlog_port, timeout="300ms"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout", "connect_timeout")
