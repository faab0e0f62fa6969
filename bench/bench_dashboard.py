"""Dashboard benchmark: the overview query over 1,000 probes × 30 days, one probe's 30-day detail
queries, and the overview page ready in real Chromium (cold and reload) against a trivial
Streamlit page measured in the same run. Prints figures; asserts nothing.

Seed: 100 integrations × 10 probes, one run per probe per minute for the last RAW_DAYS days (raw
retention), hourly rollups for the rest of the 30 days; steps (two per run) for one integration;
alert states as the alert engine leaves them (every probe ok since the start, one in fifty firing
for the last 20 minutes, one in fifty with an incident resolved yesterday).
Then `roll_up_completed_hours` rolls the complete raw hours up (raw runs kept), as
`seamwatch serve`'s storage upkeep does, so the figures are those of a running system.
The dashboard tests seed the same way at a smaller size (`seed(..., probes=20)`).
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.database import open_store
from storage.ingest.catalog import sync_catalog
from storage.reads import alert_history, analytics, probe_series
from storage.reads.queries import recent_runs
from storage.rollups.format import bucket_index
from storage.rollups.write import roll_up_completed_hours
from storage.schema.alerts import alert_events_t, alert_states_t

PROBES, PER_INTEGRATION, DAYS, RAW_DAYS = 1000, 10, 30, 2
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


FIRING_FOR, INCIDENT_AGO = 20 * MIN, 20 * HOUR


def seed(path: Path, now: int, *, probes: int = PROBES, raw_days: int = RAW_DAYS,
         days: int = DAYS) -> dict[str, int]:
    """The database of a system that has run `probes` probes for `days` days; returns the
    probe ids by "integration/probe"."""
    store = open_store(f"sqlite:///{path}")
    ids = sync_catalog(store, [(f"integration-{p // PER_INTEGRATION:03d}",
                                f"probe-{p % PER_INTEGRATION}", "http", {})
                               for p in range(probes)])
    _alerts(store, sorted(ids), now, now - days * DAY)
    store.close()
    rnd = random.Random(7)
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    raw_start = now - raw_days * DAY
    run_id = 1
    for n, (key, pid) in enumerate(sorted(ids.items(), key=lambda kv: kv[1])):
        runs, steps = [], []
        with_steps = key.startswith("integration-000/")
        firing_since = now - FIRING_FOR - 5 * MIN if n % 50 == 1 else now
        for m in range(raw_days * 24 * 60):
            started = raw_start + m * MIN + rnd.randint(0, 999)
            latency = int(rnd.lognormvariate(11.8, 0.4))
            failed = rnd.random() < 0.01 or started >= firing_since
            runs.append((pid, started, run_id, 2 if failed else 0, latency, 1, 1,
                         7 if failed else None, "http_503" if failed else None))
            if with_steps:
                for idx, share in enumerate((0.3, 0.7)):
                    steps.append((run_id, idx, f"step-{idx}", 0, 200, int(latency * share),
                                  1000, 3000, int(latency * share * 0.8), 500, 100, 100 - m % 100))
            run_id += 1
        con.executemany("INSERT INTO runs (probe_id, started_ms, id, status, latency_us, "
                        "attempts, location_id, category, reason) VALUES (?,?,?,?,?,?,?,?,?)",
                        runs)
        con.executemany("INSERT INTO run_steps (run_id, idx, name, status, http_status, "
                        "latency_us, connect_us, tls_us, ttfb_us, transfer_us, rl_limit, "
                        "rl_remaining) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", steps)
        rollups = []
        first_hour = now - days * DAY
        cum = [0, 0, 0, 0]
        cum_hist: dict[str, int] = {}
        for h in range((days - raw_days) * 24):
            hour = first_hour - first_hour % HOUR + h * HOUR
            lat = [int(rnd.lognormvariate(11.8, 0.4)) for _ in range(6)]
            hist: dict[str, int] = {}
            for v in lat:
                hist[str(bucket_index(v))] = hist.get(str(bucket_index(v)), 0) + 10
                cum_hist[str(bucket_index(v))] = cum_hist.get(str(bucket_index(v)), 0) + 10
            cum = [cum[0] + 60, cum[1] + 59, cum[2] + 1, cum[3] + sum(lat) * 10]
            rollups.append((pid, hour, 60, 59, 0, 1, sum(lat) * 10, min(lat), max(lat),
                            json.dumps(hist), json.dumps({"server_error": 1}), *cum,
                            json.dumps(dict(sorted(cum_hist.items())))))
        con.executemany("INSERT INTO run_rollups_hourly (probe_id, hour_ms, count, ok, degraded, "
                        "failed, latency_sum_us, latency_min_us, latency_max_us, histogram, "
                        "categories, cum_count, cum_good, cum_failed, cum_latency_sum_us, "
                        "cum_histogram) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rollups)
    con.commit()
    con.close()
    return ids


def _alerts(store: Any, keys: list[str], now: int, since: int) -> None:
    """Alert states and transitions as `seamwatch serve` records them (see the docstring)."""
    states, events = [], []
    for n, key in enumerate(keys):
        integration, probe = key.split("/")
        firing = n % 50 == 1
        row = {"integration": integration, "probe": probe, "fail_streak": 0, "good_streak": 0,
               "ok_streak": 0, "degraded_streak": 0, "flaps": 0, "last_failure": {},
               "recent": [], "silenced_by": None}
        if firing:
            states.append({**row, "state": "firing", "condition": "firing", "fail_streak": 25,
                           "since_ms": now - FIRING_FOR, "updated_ms": now,
                           "last_failure": {"category": "server_error", "reason": "http_503"}})
            story = [(now - FIRING_FOR - 5 * MIN, "ok", "pending"),
                     (now - FIRING_FOR, "pending", "firing")]
        else:
            states.append({**row, "state": "ok", "condition": "ok", "since_ms": since,
                           "updated_ms": now})
            story = [(now - INCIDENT_AGO, "ok", "pending"),
                     (now - INCIDENT_AGO + 5 * MIN, "pending", "firing"),
                     (now - INCIDENT_AGO + HOUR, "firing", "ok")] if n % 50 == 2 else []
        events += [{"at_ms": at, "integration": integration, "probe": probe, "from_state": a,
                    "to_state": b, "condition": b, "reason": "server_error: http_503"}
                   for at, a, b in story]
    with store.write() as conn:
        conn.execute(alert_states_t.insert(), states)
        if events:
            conn.execute(alert_events_t.insert(), events)


def best_ms(fn: Callable[[], Any], repeat: int = 3) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "URL:" in line:
            return proc
    raise RuntimeError("streamlit did not start")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


ROUNDS, RELOADS = 3, 5


def page_times(page: Any, url: str, ready: Callable[[Any], None]) -> tuple[float, list[float]]:
    """Seconds until ready: the first load after the server started, then each reload."""
    started = time.perf_counter()
    page.goto(url)
    ready(page)
    cold = time.perf_counter() - started
    reloads = []
    for _ in range(RELOADS):
        started = time.perf_counter()
        page.reload()
        ready(page)
        reloads.append(time.perf_counter() - started)
    return cold, reloads


def browser_figures(config: Path, folder: Path) -> list[str]:
    """Cold load and reloads of the overview against a trivial Streamlit page, in real
    Chromium: ROUNDS fresh servers (and fresh browser caches) each, alternating, so a busy
    machine slows both alike; medians."""
    if not Path(CHROMIUM).exists():
        return ["overview page in Chromium: skipped (/usr/bin/chromium missing)"]
    from playwright.sync_api import sync_playwright

    trivial = folder / "trivial_app.py"
    trivial.write_text("import streamlit as st\nst.title('Hello')\nst.write('trivial page')\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cold: dict[str, list[float]] = {"trivial": [], "overview": []}
    reloads: dict[str, list[float]] = {"trivial": [], "overview": []}

    def overview_ready(page: Any) -> None:
        page.get_by_text("integrations · latency over").first.wait_for(timeout=120_000)
        page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=120_000)

    def trivial_ready(page: Any) -> None:
        page.get_by_text("trivial page").first.wait_for(timeout=120_000)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--disable-gpu"])
        for _ in range(ROUNDS):
            for name, cmd, ready in (
                ("trivial", [sys.executable, "-m", "streamlit", "run", str(trivial),
                             "--server.headless=true", "--browser.gatherUsageStats=false"],
                 trivial_ready),
                ("overview", [sys.executable, "-m", "seamwatch", "dashboard", "-c", str(config)],
                 overview_ready),
            ):
                port = _free_port()
                proc = _start([*cmd, f"--server.port={port}"] if name == "trivial"
                              else [*cmd, "--port", str(port)], env)
                try:
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    first, again = page_times(context.new_page(), f"http://127.0.0.1:{port}/",
                                              ready)
                    cold[name].append(first)
                    reloads[name] += again
                    context.close()
                finally:
                    _stop(proc)
        browser.close()
    med = statistics.median
    extra = med(o - t for o, t in zip(cold["overview"], cold["trivial"], strict=True))
    return [
        f"overview cold in Chromium (median of {ROUNDS} starts): {med(cold['overview']):.2f} s "
        f"vs trivial page {med(cold['trivial']):.2f} s: +{extra:.2f} s (target ≤ +1 s)",
        f"overview reload in Chromium at {PROBES:,} probes (median of {len(reloads['overview'])}):"
        f" {med(reloads['overview']):.2f} s (target ≤ 0.5 s) vs trivial page "
        f"{med(reloads['trivial']):.2f} s",
        f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
    ]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="seamwatch-bench-dash-") as tmp:
        folder = Path(tmp)
        db = folder / "seamwatch.db"
        now = int(time.time() * 1000)
        started = time.perf_counter()
        ids = seed(db, now)
        store = open_store(f"sqlite:///{db}", migrate=False)
        rolled = time.perf_counter()
        roll_up_completed_hours(store, now)
        rolled = time.perf_counter() - rolled
        idle = time.perf_counter()
        roll_up_completed_hours(store, now)
        idle = time.perf_counter() - idle
        with store.engine.connect() as conn:
            raw = conn.exec_driver_sql("SELECT count(*) FROM runs").scalar_one()
        print(f"dashboard: seeded {PROBES:,} probes × {DAYS} d ({raw:,} raw runs in the last "
              f"{RAW_DAYS} d, hourly rollups before) in {time.perf_counter() - started:.0f} s")
        print(f"dashboard: roll-up of {RAW_DAYS * 24} raw hours: {rolled:.1f} s "
              f"({rolled / (RAW_DAYS * 24) * 1000:.0f} ms per hour of {PROBES:,} probes); "
              f"with nothing to do: {idle * 1000:.0f} ms")
        day_start = now - DAY
        ms = best_ms(lambda: analytics.overview(store, day_start, now, now=now))
        print(f"dashboard: overview query {PROBES:,} probes × {DAYS} d (24 h range): "
              f"{ms:.0f} ms (target ≤ 200)")
        ms = best_ms(lambda: analytics.overview(store, now - 30 * DAY, now, now=now))
        print(f"dashboard: overview query {PROBES:,} probes × {DAYS} d (30 d range): {ms:.0f} ms")
        pid = ids["integration-000/probe-0"]

        def detail() -> None:
            probe_series.probe_series(store, pid, now - 30 * DAY, now, 3 * HOUR)
            recent_runs(store, "integration-000", "probe-0", 50)
            alert_history.events(store, now - 30 * DAY, now, "integration-000")

        print(f"dashboard: probe detail 30 d: {best_ms(detail):.0f} ms (target ≤ 150)")
        store.close()
        config = folder / "seamwatch.yaml"
        config.write_text(f"storage: {{url: 'sqlite:///{db}', raw_retention: {RAW_DAYS}d}}\n"
                          "integrations:\n  - {name: integration-000, base_url: "
                          "'http://127.0.0.1:9', probes: [{name: probe-0, steps: "
                          "[{name: get, path: /}]}]}\n")
        for line in browser_figures(config, folder):
            print(f"dashboard: {line}", flush=True)


if __name__ == "__main__":
    main()
