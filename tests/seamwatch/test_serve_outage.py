"""`seamwatch serve` while its SQLite database is locked by another connection (a write
transaction that does not end): /healthz answers 503 with the reason, the memory buffer stays
within `storage.max_buffered_runs` with the overflow in the spill file, SIGTERM returns within
`storage.shutdown_timeout` saying what was left and where, and after the lock is gone a restart
writes every run and the alert state has seen each of them once, in order."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import ServeProcess, wait_until
from tests.support.servers import UvicornThread
from tests.support.sqlite import hold_write_lock
from tests.support.testapi import TestApi


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def _write(path: Path, api_url: str, shutdown_timeout: str) -> Path:
    path.write_text(f"""
storage:
  url: "sqlite:///runs.db"
  flush_interval: 100ms
  max_buffered_runs: 5
  shutdown_timeout: {shutdown_timeout}
  unhealthy_after: 1s
runner: {{listen: "127.0.0.1:0"}}
defaults:
  interval: 100ms
  timeout: 5s
  retries: 0
  alerts: {{failure_threshold: 1000}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
      - {{name: broken, steps: [{{name: get, path: /status/500}}]}}
""")
    return path


def _count(db: Path) -> int:
    with sqlite3.connect(db, timeout=10) as conn:
        return int(conn.execute("select count(*) from runs").fetchone()[0])


def _health(base: str) -> tuple[int, dict[str, Any]]:
    response = httpx.get(f"{base}/healthz", timeout=10)
    return response.status_code, response.json()


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_locked_database_is_reported_bounded_and_nothing_is_lost(
    tmp_path: Path, api_url: str
) -> None:
    config = _write(tmp_path / "seamwatch.yaml", api_url, shutdown_timeout="1s")
    db = tmp_path / "runs.db"
    spill = tmp_path / ".seamwatch" / "unwritten-runs.jsonl"
    with ServeProcess(config) as serve:
        listening = serve.wait_for_log(r"listening on http://")
        base = re.search(r"http://\S+", listening).group(0)  # type: ignore[union-attr]
        wait_until(lambda: _count(db) >= 3, what="runs written")
        assert _health(base)[0] == 200
        holder = hold_write_lock(db)
        try:
            status, report = wait_until(
                lambda: (h := _health(base))[0] == 503 and h, what="/healthz 503")
            assert report["ok"] is False
            assert any("unwritten run" in r for r in report["reasons"]), report
            wait_until(lambda: len(_lines(spill)) >= 10, what="runs spilled to the file")
            status, report = _health(base)
            assert status == 503 and report["buffered_runs"] <= 5 and report["spilled_runs"] >= 10
            assert serve.terminate() == 0  # returns while the database is still locked
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    line = serve.wait_for_log(r"unwritten run\(s\) left in")
    left = int(re.search(r"(\d+) unwritten run\(s\) left in (\S+),", line).group(1))  # type: ignore[union-attr]
    assert str(spill) in line and "database is locked" in line
    spilled = _lines(spill)
    assert len(spilled) == left
    assert "Traceback" not in serve.log

    _write(config, api_url, shutdown_timeout="60s")
    before = _count(db)
    with ServeProcess(config) as again:
        wait_until(lambda: _count(db) >= before + left + 3, what="spilled runs written")
        assert again.terminate() == 0
    assert spill.read_bytes() == b""
    assert not (tmp_path / ".seamwatch" / "unevaluated-runs.jsonl").exists()
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select started_ms from runs order by id").fetchall()
        fail_streak, recent = conn.execute(
            "select fail_streak, recent from alert_states where probe = 'broken'").fetchone()
    # Every spilled run is in the database (by when it started), each written once.
    times = [s for (s,) in stored]
    assert len(set(times)) == len(times)
    from datetime import datetime

    for record in spilled:
        started = datetime.fromisoformat(record["run"]["started_at"])
        assert int(started.timestamp() * 1000) in set(times)
    # The alert state counted each run once, and saw the last ones in their order.
    assert fail_streak == len(times)
    seen = [int(datetime.fromisoformat(r["at"]).timestamp() * 1000) for r in json.loads(recent)]
    assert seen == times[-len(seen):]
