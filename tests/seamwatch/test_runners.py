"""Three real `seamwatch serve` runners of one location on the local PostgreSQL share the
probes: each probe is requested once per interval (± one at the edges), and when one runner is
killed (SIGKILL) its probes are taken over within one interval plus the lease
(docs/runners.md). `seamwatch status` then flags the killed runner as silent."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

from tests.support.cli import run_cli, wait_until
from tests.support.fleet import CountingTarget, Runners, fleet_config, runner_rows

PROBES = [f"p{i:02d}" for i in range(12)]
INTERVAL_S, LEASE_S = 1.0, 4.0


def _all_sharing(db: str, n: int) -> bool:
    rows = [r for r in runner_rows(db)
            if r.stopped_ms is None and r.silent_ms < LEASE_S * 1000 / 2]
    return len(rows) == n and all(r.probes_owned > 0 for r in rows) and \
        sum(r.probes_owned for r in rows) == len(PROBES)


def _once_per_interval(app: CountingTarget, location: str, intervals: int) -> dict[str, int]:
    """Wait until every probe has run `intervals` times from now; return the counts then."""
    since = time.monotonic()

    def counted() -> dict[str, int] | None:
        counts = app.counts(location, since)
        done = len(counts) == len(PROBES) and min(counts.values()) >= intervals
        return counts if done else None

    return wait_until(counted, timeout=intervals * INTERVAL_S * 4 + 30,
                      what=f"{intervals} runs of every probe")


ENV = {"LOC": "eu", "STATE": "state-status"}


def _runners_if_one_silent(config: Path) -> list[dict[str, Any]] | None:
    out = run_cli(["status", "-c", str(config), "--runners", "--json"], env=ENV)
    assert out.returncode == 0, out.stderr
    fleet: list[dict[str, Any]] = json.loads(out.stdout)
    return fleet if any(r["state"] == "silent" for r in fleet) else None


def _longest_gap(times: list[float], start: float) -> float:
    points = [start, *(t for t in times if t >= start)]
    return max(b - a for a, b in itertools.pairwise(points))


def test_three_runners_share_a_location_and_take_over_a_killed_one(
    tmp_path: Path, postgres_url: str, target: tuple[CountingTarget, str]
) -> None:
    app, url = target
    config = fleet_config(tmp_path, postgres_url, url, PROBES, interval=f"{INTERVAL_S:g}s",
                          lease=f"{LEASE_S:g}s")
    with Runners(config) as runners:
        procs = [runners.start("eu") for _ in range(3)]
        wait_until(lambda: _all_sharing(postgres_url, 3), timeout=90, what="three runners")
        counts = _once_per_interval(app, "eu", 6)
        assert max(counts.values()) <= 7, counts  # not three times: once per interval

        killed_at = time.monotonic()
        runners.kill(procs[0])
        wait_until(lambda: _all_sharing(postgres_url, 2) or None, timeout=60,
                   what="two runners sharing every probe")
        times = app.times("eu")
        gaps = {name: _longest_gap(times[name], killed_at - INTERVAL_S) for name in PROBES}
        assert max(gaps.values()) <= INTERVAL_S + LEASE_S + 1.0, gaps
        counts = _once_per_interval(app, "eu", 4)
        assert max(counts.values()) <= 5, counts
        fleet = wait_until(lambda: _runners_if_one_silent(config), what="a silent runner")
        assert sorted(r["state"] for r in fleet) == ["running", "running", "silent"]
        assert {r["pid"] for r in fleet if r["state"] == "silent"} == {procs[0].proc.pid}
        assert sum(r["probes_owned"] for r in fleet) == len(PROBES)
        table = run_cli(["status", "-c", str(config)], env=ENV).stdout
        assert "SILENT" in table and "LAST HEARTBEAT" in table
        for proc in procs[1:]:
            assert proc.terminate() == 0, proc.log


def test_a_second_serve_on_one_sqlite_file_is_refused(
    tmp_path: Path, target: tuple[CountingTarget, str]
) -> None:
    _, url = target
    config = fleet_config(tmp_path, "sqlite:///runs.db", url, PROBES[:1])
    with Runners(config) as runners:
        first = runners.start("eu")
        first.wait_for_log("serving 1 probes")
        second = runners.start("eu")
        assert second.proc.wait(timeout=60) == 2
        second._reader.join(timeout=10)
        assert "runs.db is in use by another `seamwatch serve`" in second.log
        assert "Traceback" not in second.log
        assert first.proc.poll() is None
        assert first.terminate() == 0
