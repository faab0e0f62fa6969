"""Several runners on PostgreSQL (docs/runners.md): 3 `serve` processes of one location share
N probes at 60 s against loopback targets. Prints start lag p50/p99 (target p99 ≤ 100 ms), runs
missed and duplicated (each probe's slots in the measured window, across the runners; target 0
each), what sharing costs per run (time in the ownership check, heartbeat transactions) and the
CPU of the PostgreSQL backends serving the runners.

`BENCH_RUNNERS_PROBES` (default 10,000), `BENCH_RUNNERS_SECONDS` (default 200: a settle of one
interval plus the lease, then the measured window), `BENCH_RUNNERS` (3), `SEAMWATCH_PG_URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing as mp
import os
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from bench.targets import PostgresUnavailable, scratch_postgres, target_processes
from seamwatch.sharing import HEARTBEAT_FRACTION

PROBES = int(os.environ.get("BENCH_RUNNERS_PROBES", "10000"))
SECONDS = float(os.environ.get("BENCH_RUNNERS_SECONDS", "200"))
RUNNERS = int(os.environ.get("BENCH_RUNNERS", "3"))
INTERVAL_S = 60.0
LEASE_S = 20.0
PER_INTEGRATION = 100


def _config(folder: Path, db_url: str, urls: list[str]) -> Path:
    lines = [
        f"storage: {{url: '{db_url}'}}",
        f"runner: {{listen: null, concurrency: 1000, lease: {LEASE_S:g}s, "
        "state_dir: '${STATE}'}",
        f"defaults: {{interval: {INTERVAL_S:g}s, timeout: 10s, retries: 0}}",
        "integrations:",
    ]
    for i in range(max(1, PROBES // PER_INTEGRATION)):
        lines += [f"  - name: svc{i}", f"    base_url: {urls[i % len(urls)]}", "    probes:"]
        lines += [f"      - {{name: p{j}, steps: [{{name: get, path: /v1/charges}}]}}"
                  for j in range(min(PROBES, PER_INTEGRATION))]
    path = folder / "runners.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


async def _run(config_path: Path, index: int, stop_at: float) -> dict[str, Any]:
    os.environ["STATE"] = str(config_path.parent / f"state-{index}")
    from core.redact import Redactor
    from seamwatch.config import load_config
    from seamwatch.serve import ServeProcess

    config = load_config(config_path)
    serving = ServeProcess(config, Redactor(config.secrets))
    runs: list[tuple[str, float, float]] = []  # key, scheduled (epoch s), lag (s)
    serving.lag_observer = lambda key, lag: runs.append((key, time.time() - lag, lag))
    owns = serving.fleet.owns
    spent = [0.0, 0]

    def timed_owns(key: str, scheduled: Any) -> bool:
        t0 = time.perf_counter()
        try:
            return owns(key, scheduled)
        finally:
            spent[0] += time.perf_counter() - t0
            spent[1] += 1

    serving.fleet.owns = timed_owns  # type: ignore[method-assign]
    asyncio.get_running_loop().call_later(max(1.0, stop_at - time.time()), serving.request_stop)
    cpu0 = time.process_time()
    await serving.run()
    return {"runs": runs, "owns_s": spent[0], "owns_calls": spent[1],
            "cpu_s": time.process_time() - cpu0}


def _runner(config_path: Path, index: int, stop_at: float) -> dict[str, Any]:
    return asyncio.run(_run(config_path, index, stop_at))


def _backend_cpu(admin: sa.Engine, database: str) -> float:
    with admin.connect() as conn:
        pids = [r[0] for r in conn.execute(
            sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database})]
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            total += sum(psutil.Process(pid).cpu_times()[:2])
    return total


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _slots(results: list[dict[str, Any]], start: float, end: float) -> tuple[int, int, int]:
    """(expected, missed, duplicated) slots whose scheduled time lies in [start, end)."""
    from seamwatch.scheduler import phase_offset

    done: Counter[tuple[str, int]] = Counter()
    for r in results:
        for key, scheduled, _ in r["runs"]:
            if start <= scheduled < end:
                done[(key, round((scheduled - phase_offset(key, INTERVAL_S)) / INTERVAL_S))] += 1
    keys = {key for r in results for key, _, _ in r["runs"]}
    expected = set()
    for key in keys:
        phase = phase_offset(key, INTERVAL_S)
        k = int((start - phase) // INTERVAL_S)
        while phase + k * INTERVAL_S < end:
            if phase + k * INTERVAL_S >= start:
                expected.add((key, k))
            k += 1
    missed = len(expected - set(done))
    duplicated = sum(n - 1 for n in done.values() if n > 1)
    return len(expected), missed, duplicated


def main() -> dict[str, Any]:
    os.environ.setdefault("SEAMWATCH_LOG_LEVEL", "WARNING")
    try:
        with scratch_postgres() as db_url:
            return _measure(db_url)
    except PostgresUnavailable as exc:
        print(f"runners: skipped, PostgreSQL unreachable ({exc})")
        return {}


def _measure(db_url: str) -> dict[str, Any]:
    database = sa.make_url(db_url).database or ""
    admin = sa.create_engine(db_url)
    try:
        with target_processes(4) as urls, tempfile.TemporaryDirectory() as tmp:
            config = _config(Path(tmp), db_url, urls)
            started = time.time()
            stop_at = started + SECONDS
            ctx = mp.get_context("spawn")
            with ctx.Pool(RUNNERS) as pool:
                pending = [pool.apply_async(_runner, (config, i, stop_at))
                           for i in range(RUNNERS)]
                time.sleep(min(SECONDS / 2, INTERVAL_S + LEASE_S))
                db_cpu0 = _backend_cpu(admin, database)
                window_start = time.time()
                window_end = stop_at - 15.0  # runs still in flight at the stop do not count
                time.sleep(max(0.0, window_end - time.time()))
                db_cpu = _backend_cpu(admin, database) - db_cpu0  # while the runners run
                results = [p.get(timeout=SECONDS + 600) for p in pending]
        return _report(results, window_start, window_end, db_cpu)
    finally:
        admin.dispose()


def _report(results: list[dict[str, Any]], start: float, end: float,
            db_cpu: float) -> dict[str, Any]:
    lags = [lag for r in results for _, s, lag in r["runs"] if start <= s < end]
    expected, missed, duplicated = _slots(results, start, end)
    calls = sum(r["owns_calls"] for r in results)
    owns_us = sum(r["owns_s"] for r in results) / max(calls, 1) * 1e6
    runs = len(lags)
    per_runner = [sum(1 for _, s, _ in r["runs"] if start <= s < end) for r in results]
    heartbeats = len(results) * (end - start) / (LEASE_S * HEARTBEAT_FRACTION)
    figures = {"lag_p50_ms": _percentile(lags, 0.5) * 1000,
               "lag_p99_ms": _percentile(lags, 0.99) * 1000, "expected": expected,
               "missed": missed, "duplicated": duplicated, "owns_us_per_run": owns_us,
               "db_cpu_s_per_1000": db_cpu / max(runs, 1) * 1000, "runs": runs}
    print(f"runners: {RUNNERS} × {PROBES:,} probes at {INTERVAL_S:g}s on PostgreSQL, measured "
          f"{end - start:.0f}s after a {INTERVAL_S + LEASE_S:g}s settle: start lag p50 "
          f"{figures['lag_p50_ms']:.1f} ms, p99 {figures['lag_p99_ms']:.1f} ms (target ≤ 100); "
          f"runs per runner {per_runner}")
    print(f"runners: slots {expected:,}: missed {missed} (target 0), duplicated {duplicated} "
          "(target 0)")
    print(f"runners: sharing cost: ownership check {owns_us:.1f} µs per scheduled fire, "
          f"{heartbeats / max(runs, 1) * 1000:.2f} heartbeat transactions per 1,000 runs, "
          "no database round trip per run")
    print(f"runners: PostgreSQL backends of the runners: {db_cpu:.1f} CPU-s over the window "
          f"({figures['db_cpu_s_per_1000']:.2f} CPU-s / 1,000 runs; writes, alerts, heartbeats)")
    return figures


if __name__ == "__main__":
    main()
