"""Drift: comparing the shape of a 100 KB JSON body with its frozen baseline (target ≤ 5 ms),
printed beside parsing the same body (what the exchange does anyway) in the same run; and the
`seamwatch serve` process's CPU per run with drift on (baselines frozen) against drift off, in
the same run (target ≤ 1.2×). docs/architecture.md, "Drift"."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.targets import target_processes
from probes.drift.baseline import BaselineRecord, compile_baseline, freeze, learn
from probes.drift.rules import compare
from probes.drift.shape import observe, reduce

REPEAT = 200


def body_100kb() -> bytes:
    items = []
    i = 0
    while True:
        items.append({
            "id": f"cus_{i:06d}", "object": "customer", "created": 1_700_000_000 + i,
            "email": f"user{i}@example.test", "balance": i * 1.5, "delinquent": i % 7 == 0,
            "status": ["active", "past_due", "canceled"][i % 3],
            "address": {"line1": f"{i} Main St", "city": "Springfield", "postal_code": None},
            "metadata": {"plan": "pro", "seats": i % 10}, "tags": ["a", "b"],
        })
        i += 1
        body = json.dumps({"object": "list", "data": items, "has_more": True}).encode()
        if len(body) >= 100 * 1024:
            return body


def _median_ms(fn: Any, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def comparison_figures() -> dict[str, float]:
    body = body_100kb()
    doc = json.loads(body)
    record = BaselineRecord("i", "p", "s")
    learn_ms = _median_ms(lambda: learn(BaselineRecord("i", "p", "s"), 200, "application/json",
                                        reduce(doc), 0), repeat=20)
    for _ in range(20):
        learn(record, 200, "application/json", reduce(doc), 0)
    freeze(record, 0)
    baseline = compile_baseline(record)

    def judge() -> None:
        changes = compare(baseline, 200, "application/json",
                          observe(doc, baseline.enum_paths)).changes
        assert not changes, changes

    compare_ms = _median_ms(judge)
    parse_ms = _median_ms(lambda: json.loads(body))
    print(f"shape comparison of a {len(body) / 1024:.0f} KB body ({len(doc['data'])} items): "
          f"{compare_ms:.2f} ms median (target ≤ 5 ms); parsing it: {parse_ms:.2f} ms; "
          f"learning one sample (reduce + genson): {learn_ms:.2f} ms")
    return {"compare_100kb_ms": compare_ms, "parse_100kb_ms": parse_ms,
            "learn_sample_100kb_ms": learn_ms}


def _config(folder: Path, url: str, drift: str) -> Path:
    lines = [
        f"storage: {{url: 'sqlite:///{folder}/bench.db'}}",
        "runner: {listen: null, concurrency: 100}",
        f"defaults: {{drift: {drift}}}",
        "integrations:",
        "  - name: target",
        f"    base_url: {url}",
        "    probes:",
    ]
    for i in range(50):
        lines += [f"      - name: p{i}", "        interval: 1s", "        retries: 0",
                  "        steps:", "          - {name: list, path: /v1/charges}"]
    path = folder / "seamwatch.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _serve_cpu_per_1000(folder: Path, url: str, drift: str, seconds: float) -> float:
    folder.mkdir()
    config = _config(folder, url, drift)
    proc = subprocess.Popen([sys.executable, "-m", "seamwatch", "serve", "-c", str(config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    time.sleep(8)  # start-up, and the drift baselines learn (learn_runs 3) and freeze
    db = sqlite3.connect(folder / "bench.db")
    cpu0, runs0 = sum(ps.cpu_times()[:2]), db.execute("select count(*) from runs").fetchone()[0]
    time.sleep(seconds)
    cpu1, runs1 = sum(ps.cpu_times()[:2]), db.execute("select count(*) from runs").fetchone()[0]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    if drift != "{enabled: false}":
        frozen = db.execute("select count(*) from drift_baselines where frozen").fetchone()[0]
        assert frozen == 50, f"only {frozen} of 50 baselines froze"
    db.close()
    return (cpu1 - cpu0) / max(runs1 - runs0, 1) * 1000


def main() -> dict[str, Any]:
    os.environ.setdefault("SEAMWATCH_LOG_LEVEL", "WARNING")
    figures: dict[str, Any] = comparison_figures()
    with target_processes(1) as (url,), tempfile.TemporaryDirectory() as tmp:
        off = _serve_cpu_per_1000(Path(tmp) / "off", url, "{enabled: false}", 30.0)
        on = _serve_cpu_per_1000(Path(tmp) / "on", url, "{learn_runs: 3}", 30.0)
    figures.update(serve_drift_off_cpu_s_per_1000=off, serve_drift_on_cpu_s_per_1000=on,
                   serve_drift_ratio=on / off)
    print(f"serve, 50 probes at 1s: drift off {off:.2f}, drift on {on:.2f} CPU-s / 1,000 runs "
          f"(ratio {on / off:.2f}, target ≤ 1.2)")
    return figures


if __name__ == "__main__":
    main()
