"""Dashboard queries on a seeded SQLite database: the numbers, not just that something came back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.database import Store, open_store
from storage.reads import analytics, probe_series
from storage.reads.queries import nearest_rank
from storage.rollups.format import BUCKET_BOUNDS_US, bucket_index
from storage.rollups.write import roll_up_completed_hours, watermark
from storage.schema import rollups_t
from storage.spec import StorageSpec
from storage.upkeep import upkeep_storage
from tests.storage.seed import DAY, HOUR, MIN, R, catalog, dt, retire, write_runs

NOW = 1_767_225_600_000  # 2026-01-01T00:00Z


def _ids(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {n: i for i, n in conn.execute(sa.text("SELECT id, name FROM probes"))}


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The overview tests on a SQLite file and on a fresh PostgreSQL database."""
    url = (f"sqlite:///{tmp_path / 'seamwatch.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    s = open_store(url)
    yield s
    s.close()


def _within_bucket(value: float | None, exact: float | None) -> bool:
    """An approximate (histogram) percentile: the upper bound of the exact value's bucket."""
    assert value is not None and exact is not None
    return value == BUCKET_BOUNDS_US[bucket_index(round(exact * 1000))] / 1000.0


def _seed_pay(store: Store) -> None:
    catalog(store, [("pay", "a", "http"), ("pay", "b", "http"), ("crm", "c", "http")],
            {"pay": ["billing"]}, now_ms=NOW - 40 * DAY)
    # a: 20 runs in the last hour, latencies 10..200 ms, the 3rd and 7th failed
    write_runs(store, "pay", "a", [
        R(NOW - (k + 1) * MIN, 10.0 * (k + 1), status="failed" if k in (2, 6) else "ok",
          category="timeout" if k == 2 else "server_error") for k in range(20)])
    # b: 4 ok runs 2 days ago (outside 24 h, inside 7 d), 2 runs 10 days ago, one failed
    write_runs(store, "pay", "b", [R(NOW - 2 * DAY - k * MIN, 500) for k in range(4)]
               + [R(NOW - 10 * DAY, 50), R(NOW - 10 * DAY + MIN, 60, status="failed",
                                          category="auth", reason="http_401")])


@pytest.mark.parametrize("rolled_at", [None, NOW, NOW + HOUR], ids=["raw", "tail", "rolled"])
def test_overview_uptime_percentiles_and_last_failure(
    any_store: Store, rolled_at: int | None
) -> None:
    """The same numbers whether the runs are raw, rolled up except the current hour, or all
    rolled up (raw runs kept)."""
    store = any_store
    _seed_pay(store)
    if rolled_at is not None:
        roll_up_completed_hours(store, rolled_at)
        with store.engine.connect() as conn:
            assert watermark(conn) == rolled_at - HOUR
    rows = {i.name: i for i in analytics.overview(store, NOW - HOUR, NOW, now=NOW)}
    pay = rows["pay"]
    assert pay.tags == ["billing"]
    assert (pay.uptime["24h"].runs, pay.uptime["24h"].good) == (20, 18)
    assert pay.uptime["24h"].pct == 90.0
    assert (pay.uptime["7d"].runs, pay.uptime["7d"].good) == (24, 22)
    assert (pay.uptime["30d"].runs, pay.uptime["30d"].good) == (26, 23)
    latencies = [10.0 * (k + 1) for k in range(20)]
    assert pay.runs_in_range == 20 and pay.failed_in_range == 2
    assert pay.approximate
    assert _within_bucket(pay.p50_ms, nearest_rank(latencies, 50))  # exact: 100 ms
    assert _within_bucket(pay.p95_ms, nearest_rank(latencies, 95))  # exact: 190 ms
    a = next(p for p in pay.probes if p.probe == "a")
    assert a.last_failure_ms == NOW - 3 * MIN and a.last_failure_category == "timeout"
    assert a.last_run_ms == NOW - MIN and a.last_status == "ok" and a.last_latency_ms == 10.0
    b = next(p for p in pay.probes if p.probe == "b")
    assert b.last_failure_category == "auth" and b.last_failure_reason == "http_401"
    assert b.last_failure_ms == NOW - 10 * DAY + MIN
    assert pay.last_failure is a
    assert pay.spark == [(NOW - HOUR, sum(latencies) / 20)]
    crm = rows["crm"]
    assert crm.uptime["30d"].pct is None and crm.p95_ms is None and not crm.has_runs
    # 30 days: whole hours, b's runs included
    (month,) = [i for i in analytics.overview(store, NOW - 30 * DAY, NOW, now=NOW)
                if i.name == "pay"]
    assert (month.runs_in_range, month.failed_in_range) == (26, 3)
    assert _within_bucket(month.p95_ms, nearest_rank([*latencies, 500, 500, 500, 500, 50, 60],
                                                     95))
    spark = dict(month.spark)
    assert sum(spark.values()) > 0 and len(spark) <= 25
    assert all((k - (NOW - 30 * DAY)) % HOUR == 0 for k in spark)


def test_overview_counts_queued_late_runs(any_store: Store) -> None:
    store = any_store
    _seed_pay(store)
    roll_up_completed_hours(store, NOW + HOUR)
    write_runs(store, "pay", "a", [R(NOW - 30 * MIN - 1, 1000.0, status="failed",
                                     category="dns")])  # late: its hour is rolled up
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM rollup_late_runs")).scalar() == 1
    for merged in (False, True):
        if merged:
            roll_up_completed_hours(store, NOW + HOUR)
        (pay,) = [i for i in analytics.overview(store, NOW - HOUR, NOW, now=NOW)
                  if i.name == "pay"]
        assert (pay.uptime["24h"].runs, pay.uptime["24h"].good) == (21, 18)
        assert (pay.runs_in_range, pay.failed_in_range) == (21, 3)


def test_overview_counts_rollups_beyond_raw_retention(store: Store) -> None:
    catalog(store, [("pay", "a", "http")], now_ms=NOW - 40 * DAY)
    old = NOW - 20 * DAY
    write_runs(store, "pay", "a", [
        R(old + k * MIN, 100, status="failed" if k < 3 else "ok", category="dns")
        for k in range(10)] + [R(NOW - MIN, 100)])
    report = upkeep_storage(store, StorageSpec(url=store.url, raw_retention="7d"), now=dt(NOW))
    assert report.runs_deleted == 10
    (row,) = analytics.overview(store, NOW - HOUR, NOW, now=NOW)
    assert (row.uptime["30d"].runs, row.uptime["30d"].good) == (11, 8)
    assert row.uptime["7d"].runs == 1
    (probe,) = row.probes
    assert probe.last_failure_category == "dns"  # from the rollup: no raw failure is left
    assert probe.last_failure_ms == old - old % HOUR


def test_retired_probe_keeps_history(store: Store) -> None:
    catalog(store, [("pay", "gone", "http")], now_ms=NOW - DAY)
    write_runs(store, "pay", "gone", [R(NOW - HOUR, 42)])
    retire(store, "gone", NOW - MIN)
    (row,) = analytics.overview(store, NOW - DAY, NOW, now=NOW)
    assert row.probes[0].retired_ms == NOW - MIN and row.probes[0].last_latency_ms == 42


def test_probe_series_buckets(store: Store) -> None:
    catalog(store, [("pay", "a", "http")], now_ms=NOW - DAY)
    start = NOW - 2 * HOUR
    bucket = HOUR
    # bucket 0: 100 runs with latencies 1..100 ms, the 100 ms one failed (rate_limited);
    # bucket 1: 3 runs, 2 steps each with fixed phases and rate-limit headroom 30/100, 5/100
    runs = [R(start + k * 30_000, float(k + 1), status="failed" if k == 99 else "ok",
              category="rate_limited", reason="http_429") for k in range(100)]
    runs += [R(start + HOUR + k * MIN, 300.0, steps=(("auth", 0.25), ("list", 0.75)),
               phases=(1.0, 2.0, 4.0, 40.0, 3.0), rate_limit=(100, 30 if k else 5),
               credential_ttl_s=600.0 - k, cert_days_left=12.5)
             for k in range(3)]
    write_runs(store, "pay", "a", runs)
    pid = _ids(store)["a"]
    s = probe_series.probe_series(store, pid, start, NOW, bucket)
    b0, b1 = s.latency
    assert (b0.start_ms, b0.count, b0.failed) == (start, 100, 1)
    assert (b0.p50_ms, b0.p95_ms, b0.p99_ms, b0.max_ms) == (50.0, 95.0, 99.0, 100.0)
    assert (b1.start_ms, b1.count, b1.p50_ms, b1.p99_ms) == (start + HOUR, 3, 300.0, 300.0)
    assert [(f.latency_ms, f.category, f.reason) for f in s.failed_runs] == [
        (100.0, "rate_limited", "http_429")]
    assert s.categories == {start: {"rate_limited": 1}}
    steps = {(p.start_ms, p.name): p.mean_ms for p in s.steps}
    assert steps[(start + HOUR, "auth")] == 75.0 and steps[(start + HOUR, "list")] == 225.0
    phases = {p.name: p.mean_ms for p in s.phases if p.start_ms == start + HOUR}
    # both steps carry the phases: per run 2 × each phase
    assert phases == {"DNS": 2.0, "connect": 4.0, "TLS": 8.0, "first byte": 80.0,
                      "transfer": 6.0}
    (rl,) = s.rate_limit
    assert (rl.start_ms, rl.min_headroom, rl.limit) == (start + HOUR, 0.05, 100)
    (life,) = s.lifetimes
    assert (life.credential_ttl_s, life.cert_days_left) == (598.0, 12.5)


def test_probe_series_uses_rollups_when_raw_is_gone(store: Store) -> None:
    catalog(store, [("pay", "a", "http")], now_ms=NOW - 40 * DAY)
    hour = NOW - 20 * DAY
    hour -= hour % HOUR
    write_runs(store, "pay", "a", [R(hour + k * MIN, 10.0 * (k + 1),
                                     status="failed" if k == 0 else "ok", category="tls")
                                   for k in range(10)])
    upkeep_storage(store, StorageSpec(url=store.url, raw_retention="7d"), now=dt(NOW))
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(rollups_t)).scalar_one() == 1
    s = probe_series.probe_series(store, _ids(store)["a"], NOW - 30 * DAY, NOW, 3 * HOUR)
    (pt,) = s.latency
    assert pt.approximate and pt.count == 10 and pt.failed == 1
    assert pt.max_ms == 100.0
    assert pt.p50_ms is not None and 50.0 <= pt.p50_ms <= 50.0 * 1.25
    assert sum(sum(c.values()) for c in s.categories.values()) == 1


def test_probe_series_empty(store: Store) -> None:
    catalog(store, [("pay", "a", "http")], now_ms=NOW)
    s = probe_series.probe_series(store, _ids(store)["a"], NOW - DAY, NOW, HOUR)
    assert s.latency == [] and s.steps == [] and s.categories == {}
