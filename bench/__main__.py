"""`make bench`: run every benchmark and print its figures (never asserted in tests).

`python -m bench` runs all; `python -m bench engine ingest` runs the named ones."""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = {
    "engine": "bench.bench_engine",
    "ingest": "bench.bench_ingest",
    "alerts": "bench.bench_alerts",
    "scale": "bench.bench_scale",
    "runners": "bench.bench_runners",
    "dashboard": "bench.bench_dashboard",
    "openapi": "bench.bench_openapi",
    "drift": "bench.bench_drift",
    "webhooks": "bench.bench_webhooks",
    "slo": "bench.bench_slo",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown bench {unknown}; choose from {', '.join(BENCHES)}", file=sys.stderr)
        return 2
    for name in names:
        try:
            module = importlib.import_module(BENCHES[name])
        except ModuleNotFoundError as exc:
            print(f"{name}: not available ({exc.name})")
            continue
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        module.main()
        print(f"   ({time.perf_counter() - started:.0f}s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
