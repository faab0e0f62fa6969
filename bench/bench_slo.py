"""SLO benchmark: one burn-rate evaluation cycle (`alerts.slo_eval.BurnEvaluator.evaluate`:
counts over 5 min … 30 d from rollups plus the raw tail, the pure machine, the state writes) for
1,000 probe SLOs and 100 integration SLOs over 30 days of history, on SQLite and PostgreSQL,
against the overview query measured in the same run on the same data (target: ≤ 300 ms a cycle).

Seed: bench_dashboard's (1,000 probes, one run a minute for 2 days raw, hourly rollups for 30
days); the PostgreSQL copy is made with COPY from the SQLite file. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from alerts.settings import Settings
from alerts.slo_eval import BurnEvaluator
from alerts.spec import EmailSpec
from bench.bench_dashboard import DAY, best_ms, seed
from bench.targets import PostgresUnavailable, scratch_postgres
from core.policy import AlertPolicy
from core.slo import SloSpec
from storage.database import Store, open_store
from storage.reads import analytics
from storage.rollups.write import roll_up_completed_hours

SPEC = SloSpec(objective=0.999)
COPIED = ("integrations", "probes", "locations", "runs", "run_rollups_hourly", "rollup_state")


@dataclass
class _Integ:
    name: str
    slo: SloSpec | None = field(default_factory=lambda: SPEC)


@dataclass
class _Probe:
    name: str
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    slo: SloSpec | None = field(default_factory=lambda: SPEC)


@dataclass
class _Entry:
    integration: _Integ
    probe: _Probe


@dataclass
class _Config:
    entries: list[_Entry]
    email: EmailSpec | None = None
    maintenance: list[object] = field(default_factory=list)


def settings(keys: list[str]) -> Settings:
    entries = [_Entry(_Integ(k.split("/")[0]), _Probe(k.split("/")[1])) for k in keys]
    return Settings.from_config(_Config(entries))  # type: ignore[arg-type]


def figures(store: Store, label: str, keys: list[str], now: int) -> None:
    s = settings(keys)
    at = datetime.fromtimestamp(now / 1000, UTC)
    evaluator = BurnEvaluator(store)
    first = time.perf_counter()
    evaluator.evaluate(s, at)
    first_ms = (time.perf_counter() - first) * 1000
    cycle = best_ms(lambda: evaluator.evaluate(s, at))
    overview = best_ms(lambda: analytics.overview(store, now - DAY, now, now=now))
    print(f"slo: {label}: burn-rate evaluation of {len(s.slos):,} SLOs ({len(keys):,} probes × "
          f"30 d): {cycle:.0f} ms a cycle (target ≤ 300; first cycle with state writes "
          f"{first_ms:.0f} ms); overview query on the same data {overview:.0f} ms", flush=True)


def copy_to_postgres(db: Path, url: str) -> Store:
    store = open_store(url)
    src = sqlite3.connect(db)
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        for table in COPIED:
            cols = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            cur.execute(f"DELETE FROM {table}")
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in src.execute(f"SELECT {', '.join(cols)} FROM {table}"):
                    copy.write_row(row)
        cur.execute("SELECT setval('run_id_seq', (SELECT max(id) FROM runs))")
        raw.commit()
    finally:
        raw.close()
        src.close()
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would after a bulk load
    return store


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="seamwatch-bench-slo-") as tmp:
        db = Path(tmp) / "seamwatch.db"
        now = int(time.time() * 1000)
        ids = seed(db, now)
        keys = sorted(ids)
        store = open_store(f"sqlite:///{db}", migrate=False)
        roll_up_completed_hours(store, now)
        figures(store, "sqlite", keys, now)
        store.close()
        try:
            with scratch_postgres() as url:
                pg = copy_to_postgres(db, url)
                figures(pg, "postgresql", keys, now)
                pg.close()
        except PostgresUnavailable as exc:
            print(f"slo: postgresql skipped ({exc})")

if __name__ == "__main__":
    main()
