"""Real `serve` runners on one PostgreSQL database: three of one location email exactly one
FIRING and one RESOLVED per incident, also when the runner sending the FIRING is killed
(SIGKILL) in the middle of the SMTP conversation (another sends it once the lease has passed);
two locations with `min_failed_locations: 2` fire only when both fail, and a probe limited to
one location (`locations:`) runs there only (docs/runners.md)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import run_cli, wait_until
from tests.support.fleet import (
    CountingTarget,
    Runners,
    alert_state,
    fleet_config,
    outbox_rows,
    runner_rows,
)
from tests.support.smtp import SmtpServer, start_smtp

PROBES = ["flaky", "steady-1", "steady-2"]
EMAIL = """
  alerts: {{failure_threshold: 2, recovery_threshold: 2{quorum}}}
email:
  smtp: {{host: 127.0.0.1, port: {port}, security: none, timeout: 30s}}
  from: "seamwatch <alerts@example.test>"
  to: [oncall@example.test]
  group_wait: 0s
"""


class HeldMail:
    """Holds the first MAIL FROM until released, so a sender can be killed mid-send."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        if not self.started.is_set():
            self.started.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        envelope.mail_from = address
        return "250 OK"


@dataclass
class World:
    app: CountingTarget
    url: str
    server: SmtpServer
    held: HeldMail
    db: str


@pytest.fixture
def world(postgres_url: str, target: tuple[CountingTarget, str]) -> Iterator[World]:
    """The counting target, an SMTP server holding the first MAIL, a PostgreSQL database."""
    server = start_smtp()
    held = HeldMail()
    server.collector.handle_MAIL = held.handle_MAIL  # type: ignore[attr-defined]
    yield World(*target, server, held, postgres_url)
    held.release.set()
    server.stop()


def _sent(db: str, n: int) -> bool:
    rows = outbox_rows(db)
    return len(rows) == n and all(r.status == "sent" for r in rows)


def test_one_firing_and_one_resolved_though_the_sender_is_killed_mid_send(
    tmp_path: Path, world: World
) -> None:
    app, url, server, held, postgres_url = (world.app, world.url, world.server, world.held,
                                            world.db)
    config = fleet_config(tmp_path, postgres_url, url, PROBES, lease="4s",
                          extra=EMAIL.format(port=server.port, quorum=""))
    with Runners(config) as runners:
        procs = [runners.start("eu") for _ in range(3)]
        wait_until(lambda: sum(r.probes_owned for r in runner_rows(postgres_url)) == 3,
                   timeout=90, what="three runners sharing the probes")
        app.failing.add(("*", "flaky"))
        assert held.started.wait(60), "no runner started sending the FIRING email"
        [sending] = wait_until(lambda: [r for r in outbox_rows(postgres_url) if r.pid],
                               what="the claimed outbox row")
        assert sending.status == "sending"
        [victim] = [p for p in procs if p.proc.pid == sending.pid]
        runners.kill(victim)
        held.release.set()  # the killed sender's connection is gone: nothing is delivered
        wait_until(lambda: _sent(postgres_url, 1), what="the FIRING email sent by another")
        app.failing.clear()
        wait_until(lambda: _sent(postgres_url, 2), what="the RESOLVED email")
        for proc in procs:
            if proc is not victim:
                assert proc.terminate() == 0, proc.log
    subjects = [s.split(" ")[0:2] for s in server.collector.subjects]
    assert subjects == [["[FIRING]", "target/flaky"], ["[RESOLVED]", "target/flaky"]]
    firing = server.collector.messages[0][1]
    assert firing["X-Seamwatch-Attempt"] == "2"  # the killed sender's claim was the first
    assert [r.attempts for r in outbox_rows(postgres_url)] == [2, 1]


def test_two_locations_with_a_quorum_of_two_fire_only_when_both_fail(
    tmp_path: Path, world: World
) -> None:
    app, url, server, postgres_url = world.app, world.url, world.server, world.db
    world.held.started.set()  # nothing held
    config = fleet_config(tmp_path, postgres_url, url, ["flaky", "eu-only@eu"], lease="4s",
                          extra=EMAIL.format(port=server.port,
                                             quorum=", min_failed_locations: 2"))
    with Runners(config) as runners:
        procs = [runners.start("eu"), runners.start("us")]
        wait_until(lambda: all(len(app.times(loc)["flaky"]) >= 2 for loc in ("eu", "us"))
                   and alert_state(postgres_url, "flaky") == "ok", timeout=90,
                   what="both locations running")
        app.failing.add(("eu", "flaky"))
        failed_from_eu = len(app.times("eu")["flaky"])
        wait_until(lambda: alert_state(postgres_url, "flaky") == "degraded", what="degraded")
        wait_until(lambda: len(app.times("eu")["flaky"]) >= failed_from_eu + 6,
                   what="six more failures from eu")
        assert alert_state(postgres_url, "flaky") == "degraded"
        assert outbox_rows(postgres_url) == []
        app.failing.add(("us", "flaky"))
        wait_until(lambda: _sent(postgres_url, 1), what="the FIRING email")
        assert alert_state(postgres_url, "flaky") == "firing"
        out = run_cli(["status", "-c", str(config), "--json"], env={"LOC": "eu", "STATE": "s"})
        assert out.returncode == 1  # firing
        [flaky] = [p for p in json.loads(out.stdout)["probes"] if p["probe"] == "flaky"]
        assert {x["location"]: x["status"] for x in flaky["locations"]} == {
            "eu": "failed", "us": "failed"}
        assert all(x["runs_24h"] >= 2 for x in flaky["locations"])
        for proc in procs:
            assert proc.terminate() == 0, proc.log
    [subject] = server.collector.subjects
    assert subject.startswith("[FIRING] target/flaky")
    assert app.times("eu")["eu-only"] and not app.times("us")["eu-only"]  # its `locations:`
    body = server.collector.messages[0][1].get_body(("plain",)).get_content()
    assert "from eu, us" in body
