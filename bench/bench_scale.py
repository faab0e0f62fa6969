"""Scale and isolation: 10,000 probes at a 60 s interval against loopback servers, in one `serve`
process (this one), for at least three minutes.

Prints start lag p50/p99 (target p99 ≤ 100 ms), missed runs (target 0) and peak RSS (target
≤ 300 MB); then the same with 20 % of the targets accepting connections and never answering,
where the healthy probes' lag p99 must stay within 50 ms of the first run."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import psutil

from bench.targets import target_processes

PROBES = int(os.environ.get("BENCH_SCALE_PROBES", "10000"))
SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", "200"))
PER_INTEGRATION = 100


def _config(folder: Path, urls: list[str], hole_urls: list[str]) -> Path:
    integrations = PROBES // PER_INTEGRATION
    holes = len(hole_urls) and integrations // 5
    lines = [
        f"storage: {{url: 'sqlite:///{folder}/scale.db'}}",
        "runner: {listen: null, concurrency: 1000}",
        "defaults: {interval: 60s, timeout: 10s, retries: 0}",
        "integrations:",
    ]
    for i in range(integrations):
        url = hole_urls[i % len(hole_urls)] if i < holes else urls[i % len(urls)]
        lines += [f"  - name: {'hole' if i < holes else 'svc'}{i}", f"    base_url: {url}",
                  "    probes:"]
        lines += [
            f"      - {{name: p{j}, steps: [{{name: get, path: /v1/charges}}]}}"
            for j in range(PER_INTEGRATION)
        ]
    path = folder / "scale.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _run(config_path: Path) -> dict[str, Any]:
    from core.redact import Redactor
    from seamwatch.config import load_config
    from seamwatch.serve import ServeProcess

    config = load_config(config_path)
    serving = ServeProcess(config, Redactor(config.secrets))
    lags: dict[str, list[float]] = {"svc": [], "hole": []}
    serving.lag_observer = lambda key, lag: lags["hole" if key.startswith("hole") else "svc"] \
        .append(lag)
    me = psutil.Process()
    peak = [me.memory_info().rss]
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(0.5):
            peak[0] = max(peak[0], me.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    asyncio.get_running_loop().call_later(SECONDS, serving.request_stop)
    await serving.run()
    stop_sampling.set()
    sampler.join()
    runs = len(lags["svc"]) + len(lags["hole"])
    # Every probe's phase falls inside the first interval, so each must have run at least
    # floor(SECONDS / 60) times; fewer is a missed run even if APScheduler did not report it.
    expected_min = len(config.entries) * int(SECONDS // 60)
    return {
        "lag_p50_ms": _percentile(lags["svc"], 0.50) * 1000,
        "lag_p99_ms": _percentile(lags["svc"], 0.99) * 1000,
        "lag_max_ms": max(lags["svc"], default=0.0) * 1000,
        "runs": runs,
        "missed": serving.scheduler.missed + max(0, expected_min - runs),
        "peak_rss_mb": peak[0] / 2**20,
        "written": serving.writer.stats.written,
    }


def _line(label: str, f: dict[str, Any]) -> str:
    return (f"{label}: {PROBES:,} probes at 60s for {SECONDS:.0f}s: start lag p50 "
            f"{f['lag_p50_ms']:.1f} ms, p99 {f['lag_p99_ms']:.1f} ms (target ≤ 100), max "
            f"{f['lag_max_ms']:.0f} ms; runs {f['runs']:,}, written {f['written']:,}; missed "
            f"{f['missed']} (target 0); peak RSS {f['peak_rss_mb']:.0f} MB (target ≤ 300)")


def _scenario(urls: list[str], holes: list[str]) -> dict[str, Any]:
    """One `serve` process, started fresh, as in production: nothing left over from
    another scenario (imports, caches, frozen objects) counts against its memory or lag."""
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(_run(_config(Path(tmp), urls, holes)))


def _in_child(urls: list[str], holes: list[str]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return dict(pool.apply(_scenario, (urls, holes)))


def main() -> dict[str, Any]:
    with target_processes(4) as urls, target_processes(1, black_hole=True) as holes:
        base = _in_child(urls, [])
        print(_line("scale", base), flush=True)
        hung = _in_child(urls, holes)
        print(_line("isolation (20% hung targets)", hung))
        delta = hung["lag_p99_ms"] - base["lag_p99_ms"]
        print(f"isolation: healthy probes' lag p99 moved {delta:+.1f} ms (target within 50 ms)")
    return {"scale": base, "isolation": hung, "isolation_delta_ms": delta}


if __name__ == "__main__":
    main()
