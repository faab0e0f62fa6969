"""Several real `seamwatch serve` runners on one PostgreSQL database, and a loopback target that
counts the requests it gets per probe and location (docs/runners.md)."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.support.cli import ServeProcess


class CountingTarget:
    """`GET /p/{name}` answers 200, or 500 while (location, name) or ("*", name) is failing;
    every hit is kept as (name, location, monotonic time). The location comes from the
    `X-Location` header the config sets from `${LOC}`."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, float]] = []
        self.failing: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/p/{name}", self._probe)])

    async def _probe(self, request: Request) -> PlainTextResponse:
        name, loc = request.path_params["name"], request.headers.get("x-location", "?")
        with self._lock:
            self.hits.append((name, loc, time.monotonic()))
        if (loc, name) in self.failing or ("*", name) in self.failing:
            return PlainTextResponse("down", status_code=500)
        return PlainTextResponse("ok")

    def times(self, location: str) -> dict[str, list[float]]:
        out: dict[str, list[float]] = defaultdict(list)
        with self._lock:
            for name, loc, at in self.hits:
                if loc == location:
                    out[name].append(at)
        return out

    def counts(self, location: str, since: float = 0.0) -> dict[str, int]:
        return {n: sum(1 for t in ts if t >= since) for n, ts in self.times(location).items()}


def fleet_config(folder: Path, db_url: str, target: str, probes: list[str], *,
                 interval: str = "1s", lease: str = "4s", extra: str = "") -> Path:
    path = folder / "seamwatch.yaml"
    steps = "\n".join(_probe(p) for p in probes)
    path.write_text(f"""
storage: {{url: "{db_url}", flush_interval: 100ms}}
runner: {{location: "${{LOC}}", listen: null, state_dir: "${{STATE}}", lease: {lease}}}
defaults:
  interval: {interval}
  timeout: 2s
  retries: 0
{extra}
integrations:
  - name: target
    base_url: {target}
    headers: {{X-Location: "${{LOC}}"}}
    probes:
{steps}
""")
    return path


def _probe(spec: str) -> str:
    """`name`, or `name@loc` for a probe run from location `loc` only."""
    name, _, where = spec.partition("@")
    locations = f", locations: [{where}]" if where else ""
    return f"      - {{name: {name}{locations}, steps: [{{name: get, path: /p/{name}}}]}}"


class Runners:
    """Start, kill and stop `serve` processes of one config, each with its location."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.procs: list[ServeProcess] = []

    def start(self, location: str) -> ServeProcess:
        n = len(self.procs)
        proc = ServeProcess(self.config, env={"LOC": location, "STATE": f"state-{n}"})
        self.procs.append(proc)
        return proc

    def kill(self, proc: ServeProcess) -> None:
        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait(timeout=30)

    def close(self) -> None:
        for proc in self.procs:
            if proc.proc.poll() is None:
                proc.kill()

    def __enter__(self) -> Runners:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _query(db_url: str, sql: str) -> list[Any]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.exec_driver_sql(sql))
    except sa.exc.ProgrammingError:  # not migrated yet
        return []
    finally:
        engine.dispose()


def runner_rows(db_url: str) -> list[Any]:
    return _query(db_url, "SELECT id, location, pid, probes_owned, stopped_ms, heartbeat_ms, "
                  "floor(extract(epoch from clock_timestamp()) * 1000) - heartbeat_ms "
                  "AS silent_ms FROM runners")


def outbox_rows(db_url: str) -> list[Any]:
    return _query(db_url, "SELECT o.id, o.status, o.subject, o.attempts, r.pid "
                  "FROM alert_outbox o LEFT JOIN runners r ON r.id = o.claimed_by ORDER BY o.id")


def alert_state(db_url: str, probe: str) -> str | None:
    rows = _query(db_url, f"SELECT state FROM alert_states WHERE probe = '{probe}'")
    return rows[0].state if rows else None
