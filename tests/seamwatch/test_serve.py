"""`seamwatch serve` as a real process: runs on schedule, reloads an edited config, keeps the
old one on an invalid edit, stops gracefully on SIGTERM, and loses no committed run to kill -9."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ServeProcess, wait_until
from tests.support.servers import UvicornThread
from tests.support.sqlite import runs_per_probe
from tests.support.testapi import TestApi


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def _write(path: Path, api_url: str, probes: list[str], interval: str = "200ms",
           extra: str = "") -> Path:
    body = "\n".join(
        f"      - {{name: {name}, steps: [{{name: list, path: /v1/items}}]}}" for name in probes
    )
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:0"}}
defaults: {{interval: {interval}, timeout: 5s, retries: 0}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
{body}
{extra}""")
    return path


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("pragma integrity_check").fetchone()[0])


def test_serve_schedules_reloads_and_stops_gracefully(tmp_path: Path, api_url: str) -> None:
    config = _write(tmp_path / "seamwatch.yaml", api_url, ["alpha"])
    db = tmp_path / "runs.db"
    with ServeProcess(config) as serve:
        serve.wait_for_log(r"serving 1 probes of 1 integrations")
        wait_until(lambda: runs_per_probe(db).get("alpha", 0) >= 3, what="alpha runs")

        _write(config, api_url, ["alpha", "beta"])
        serve.wait_for_log(r"config reloaded: 1 integrations, 2 probes")
        wait_until(lambda: runs_per_probe(db).get("beta", 0) >= 2, what="beta runs after reload")

        config.write_text(config.read_text().replace("name: beta", "nmae: beta"))
        line = serve.wait_for_log(r"config not reloaded: .*unknown key `nmae`")
        assert f"{config}:10:10: integrations[shop].probes[1].nmae:" in line
        serve.wait_for_log(r"keeping the previous config \(2 probes\)")
        before = runs_per_probe(db)
        wait_until(lambda: runs_per_probe(db).get("beta", 0) > before["beta"] + 1,
                   what="beta still running on the previous config")

        assert serve.terminate() == 0
    written = int(serve.wait_for_log(r"stopped; \d+ runs written").split("stopped; ")[1]
                  .split()[0])
    assert sum(runs_per_probe(db).values()) == written
    assert "Traceback" not in serve.log
    assert _integrity(db) == "ok"


def test_kill_9_loses_no_committed_run(tmp_path: Path, api_url: str) -> None:
    config = _write(tmp_path / "seamwatch.yaml", api_url, [f"p{i}" for i in range(20)],
                    interval="100ms")
    db = tmp_path / "runs.db"
    with ServeProcess(config) as serve:
        wait_until(lambda: sum(runs_per_probe(db).values()) >= 300, timeout=120, what="300 runs")
        committed = sum(runs_per_probe(db).values())
        serve.kill()
    assert _integrity(db) == "ok"
    assert sum(runs_per_probe(db).values()) >= committed

    after_kill = sum(runs_per_probe(db).values())
    with ServeProcess(config) as again:
        wait_until(lambda: sum(runs_per_probe(db).values()) >= after_kill + 40,
                   what="runs after restart")
        assert again.terminate() == 0
    assert _integrity(db) == "ok"
    counts = runs_per_probe(db)
    assert set(counts) == {f"p{i}" for i in range(20)}  # history kept under the same probes


def test_serve_rolls_up_hours_and_applies_retention(tmp_path: Path, api_url: str) -> None:
    """History written earlier (by this or another runner) is rolled up by hour for the
    dashboard, and raw runs past `raw_retention` are deleted once rolled up."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from storage.database import open_store
    from storage.ingest.writer import ResultWriter
    from tests.storage.factories import result

    config = _write(tmp_path / "seamwatch.yaml", api_url, ["alpha"], interval="1s")
    config.write_text(config.read_text().replace(
        'storage: {url: "sqlite:///runs.db"}',
        'storage: {url: "sqlite:///runs.db", raw_retention: 2d}'))
    db = tmp_path / "runs.db"
    now = datetime.now(UTC)

    async def seed() -> None:
        store = open_store(f"sqlite:///{db}")
        async with ResultWriter(store) as writer:
            for hours_ago in (3, 3, 5, 24 * 3):
                writer.submit(result("shop", "alpha", at=now - timedelta(hours=hours_ago)))
        store.close()

    asyncio.run(seed())
    assert runs_per_probe(db)["alpha"] == 4
    with ServeProcess(config) as serve:
        line = serve.wait_for_log(r"storage upkeep: \d+ rollups written, \d+ runs")
        assert serve.terminate() == 0
    assert "1 runs past retention deleted" in line
    with sqlite3.connect(db) as conn:
        hours = conn.execute("select count(*), sum(count) from run_rollups_hourly").fetchone()
        oldest = conn.execute("select min(started_ms) from runs").fetchone()[0]
    assert hours[0] >= 3 and hours[1] >= 4  # 3h, 5h and 3d ago (and any finished hour since)
    assert oldest > int((now - timedelta(days=2)).timestamp() * 1000)
