"""The `serve` listener: /healthz and /metrics over real HTTP, and a clear error when its port is
taken."""

from __future__ import annotations

import re
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cli import ServeProcess, run_cli, wait_until
from tests.support.servers import UvicornThread
from tests.support.testapi import TestApi


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def _config(folder: Path, api_url: str, listen: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "{listen}"}}
defaults: {{interval: 200ms, retries: 0}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
      - {{name: list, steps: [{{name: get, path: /v1/items}}]}}
      - {{name: broken, steps: [{{name: boom, path: /status/503}}]}}
""")
    return path


def test_healthz_and_metrics(tmp_path: Path, api_url: str) -> None:
    with ServeProcess(_config(tmp_path, api_url, "127.0.0.1:0")) as serve:
        line = serve.wait_for_log(r"listening on http://")
        match = re.search(r"http://[\d.]+:\d+", line)
        assert match is not None
        base = match.group(0)

        def runs() -> int:
            with sqlite3.connect(tmp_path / "runs.db", timeout=10) as conn:
                return int(conn.execute("select count(*) from runs").fetchone()[0])

        wait_until(lambda: runs() >= 4, what="runs")
        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["ok"] is True and body["probes"] == 2 and body["written"] >= 4
        metrics = httpx.get(f"{base}/metrics")
        assert metrics.status_code == 200
        text = metrics.text
        assert 'seamwatch_probe_runs_total{category="",integration="shop",probe="list",' \
               'status="ok"}' in text
        assert 'category="server_error",integration="shop",probe="broken",status="failed"' in text
        assert 'seamwatch_probe_up{integration="shop",probe="broken"} 0.0' in text
        assert "seamwatch_start_lag_seconds_bucket" in text
        assert "\nseamwatch_writer_backlog " in text and "\nseamwatch_missed_runs_total " in text
        assert serve.terminate() == 0


def test_listen_port_in_use_is_a_clear_error(tmp_path: Path, api_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli(["serve", "-c", str(_config(tmp_path, api_url, f"127.0.0.1:{port}"))])
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "runner.listen" in result.stderr and "Traceback" not in result.stderr
