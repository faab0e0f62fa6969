"""The heartbeat probe kind: the scheduled check against the registry of received heartbeats,
config resolution, and one run of `seamwatch serve` receiving signed heartbeats over HTTP and
noticing when they stop."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import httpx

from probes.heartbeats import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from probes.kinds.heartbeat import HeartbeatProbe
from probes.result import Category, RunStatus
from probes.run import run_probe
from seamwatch.config import load_config
from tests.probes.conftest import (
    MakeRuntime,
    StepClock,
    heartbeat_probe,
    heartbeat_registry,
    policy,
)
from tests.support.cli import ServeProcess, wait_until

SECRET = "hb-s3cret-value"


# ---------------------------------------------------------------------------- scheduled check


async def test_scheduled_check(make_rt: MakeRuntime) -> None:
    clock = StepClock()
    probe = heartbeat_probe(grace="30s", retries=0)
    rt = make_rt()
    rt.heartbeats = heartbeat_registry(clock, nightly=probe)
    clock.t += 90  # exactly period + grace since seamwatch started watching: still fine
    assert (await run_probe(rt, probe, policy(probe))).status is RunStatus.OK
    clock.t += 1
    missed = await run_probe(rt, probe, policy(probe))
    assert missed.status is RunStatus.FAILED
    assert (missed.category, missed.reason) == (Category.TIMEOUT, "heartbeat_missed")
    assert missed.failed_step == "heartbeat"
    assert missed.message is not None
    assert "no heartbeat since seamwatch started watching 1m31s ago" in missed.message
    assert "expected every 1m + 30s grace" in missed.message
    rt.heartbeats.beat("it/nightly")
    assert (await run_probe(rt, probe, policy(probe))).status is RunStatus.OK
    clock.t += 100
    late = await run_probe(rt, probe, policy(probe))
    assert late.message is not None and late.message.startswith("last heartbeat 1m40s ago")


async def test_default_grace_is_a_fifth_of_the_period(make_rt: MakeRuntime) -> None:
    clock = StepClock()
    probe = heartbeat_probe(retries=0)
    assert probe.allowed_age == 72.0
    rt = make_rt()
    rt.heartbeats = heartbeat_registry(clock, nightly=probe)
    clock.t += 72
    assert (await run_probe(rt, probe, policy(probe))).status is RunStatus.OK
    clock.t += 0.5
    assert (await run_probe(rt, probe, policy(probe))).reason == "heartbeat_missed"


async def test_without_a_listener_it_is_a_config_failure(make_rt: MakeRuntime) -> None:
    probe = heartbeat_probe()
    result = await run_probe(make_rt(), probe, policy(probe))
    assert (result.category, result.reason) == (Category.CONFIG, "no_listener")
    assert result.attempts == 1


# ---------------------------------------------------------------------------------- config


def test_interval_defaults_to_period_and_retries_to_zero(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text("""
defaults: {interval: 10s, retries: 2}
integrations:
  - name: batch
    probes:
      - {name: nightly, type: heartbeat, period: 24h, grace: 1h, secret: "${HB_SECRET}"}
      - {name: hourly, type: heartbeat, period: 1h, interval: 5m, retries: 1}
""")
    config = load_config(path, environ={"HB_SECRET": SECRET})
    nightly, hourly = (e.probe for e in config.entries)
    assert isinstance(nightly, HeartbeatProbe) and isinstance(hourly, HeartbeatProbe)
    assert (nightly.interval, nightly.retries, nightly.allowed_age) == (86400, 0, 90000)
    assert (hourly.interval, hourly.retries) == (300, 1)
    assert SECRET in config.secrets and SECRET not in repr(config)


# ------------------------------------------------------------------------ end to end (serve)


def _runs(db: Path) -> list[tuple[str, str | None]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute("select r.status, r.reason from runs r join probes p "
                                "on p.id = r.probe_id where p.name = 'job' order by r.id")
            return [(str(status), reason) for status, reason in rows.fetchall()]
        except sqlite3.OperationalError:  # tables not created yet
            return []


def test_serve_receives_signed_heartbeats_and_notices_when_they_stop(tmp_path: Path) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:0"}}
integrations:
  - name: batch
    probes:
      - {{name: job, type: heartbeat, period: 1s, grace: 500ms, secret: "{SECRET}"}}
""")
    db = tmp_path / "runs.db"
    with ServeProcess(config) as serve:
        line = serve.wait_for_log(r"listening on http://")
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match is not None
        url = f"{match.group(0)}/heartbeat/batch/job"

        def beat_and_count_ok() -> bool:
            body = b'{"exported": 42}'
            stamp = str(int(time.time()))
            reply = httpx.post(url, content=body, headers={
                TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(SECRET, body, stamp)})
            assert reply.status_code == 200, reply.text
            return sum(1 for status, _ in _runs(db) if status == "0") >= 4

        wait_until(beat_and_count_ok, what="4 ok runs while heartbeats arrive")
        assert httpx.post(url, content=b"forged").status_code == 401
        assert all(status == "0" for status, _ in _runs(db)), _runs(db)
        wait_until(lambda: ("2", "heartbeat_missed") in _runs(db),
                   what="a heartbeat_missed run once heartbeats stop")
        assert serve.terminate() == 0
    assert SECRET not in serve.log


def test_once_runs_heartbeat_probes_only_when_named(tmp_path: Path) -> None:
    from seamwatch.once import select_entries

    path = tmp_path / "seamwatch.yaml"
    path.write_text("""
integrations:
  - name: batch
    probes:
      - {name: nightly, type: heartbeat, period: 24h}
      - {name: port, type: tcp, host: 127.0.0.1, port: 9}
""")
    config = load_config(path, environ={})
    assert [e.key for e in select_entries(config, [])] == ["batch/port"]
    assert [e.key for e in select_entries(config, ["batch"])] == ["batch/port"]
    assert [e.key for e in select_entries(config, ["batch/nightly"])] == ["batch/nightly"]
