"""The three databases a dashboard is seen with (issue 15): an empty one, one written by a single
`seamwatch once` whose probes fail, and the 30-day history `make bench` seeds (bench's own seeding
code, at 20 probes instead of 1,000).

Each comes with a config naming it, and says which integration and probe a test opens."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bench.bench_dashboard import seed
from probes.result import RunStatus
from storage.database import open_store
from storage.reads.queries import probe_status
from storage.rollups.write import roll_up_completed_hours
from tests.dashboard.seed import write_config
from tests.support.cli import run_cli

SIZES = ("empty", "once", "month")
MONTH_PROBES = 20


@dataclass(frozen=True)
class Sized:
    name: str
    config_path: Path
    url: str
    integration: str | None  # the one a test opens (None: the database has none)
    probe: str | None
    probes: int  # active probes in the database
    failed_last: int  # probes whose last run failed
    firing: int  # probes whose alert state is firing


def _failed_last(url: str) -> int:
    store = open_store(url, migrate=False)
    try:
        return sum(1 for p in probe_status(store) if p.last_status == RunStatus.FAILED)
    finally:
        store.close()


def make(name: str, folder: Path) -> Sized:
    url = f"sqlite:///{folder / 'seamwatch.db'}"
    if name == "empty":
        open_store(url).close()
        return Sized(name, write_config(folder / "seamwatch.yaml", url), url, None, None, 0, 0, 0)
    if name == "once":
        config = write_config(folder / "seamwatch.yaml", url)
        # without crm's bearer token (whose auth probe passes without a network), every probe
        # fails: nothing listens on 127.0.0.1:9
        text = config.read_text(encoding="utf-8")
        config.write_text("\n".join(line for line in text.splitlines()
                                    if "type: bearer" not in line) + "\n", encoding="utf-8")
        done = run_cli(["once", "-c", str(config)])
        assert done.returncode == 1, done.stdout + done.stderr
        return Sized(name, config, url, "payments", "list-charges", 5, _failed_last(url), 0)
    now = int(time.time() * 1000)
    db = folder / "seamwatch.db"
    seed(db, now, probes=MONTH_PROBES)
    store = open_store(url, migrate=False)
    roll_up_completed_hours(store, now)
    store.close()
    config = folder / "seamwatch.yaml"
    config.write_text(
        f"storage: {{url: '{url}', raw_retention: 2d}}\n"
        "integrations:\n  - {name: integration-000, base_url: 'http://127.0.0.1:9', "
        "alerts: {min_rate_limit_headroom: 0.2}, "
        "probes: [{name: probe-1, steps: [{name: get, path: /}]}]}\n", encoding="utf-8")
    return Sized(name, config, url, "integration-000", "probe-1", MONTH_PROBES,
                 _failed_last(url), 1)
