"""`seamwatch report` against seeded history (the real writer, alert events, rollups) on SQLite
and PostgreSQL: attainment, budget used, incidents and MTTR, latency, top failure categories and
maintenance runs left out, in text, JSON and CSV; a bad period exits 2."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest

from seamwatch.cli import main
from seamwatch.config import load_config
from seamwatch.period_report import build_report, render
from storage.codes import now_ms
from storage.database import open_store
from storage.rollups.write import roll_up_completed_hours
from storage.schema import expiries_t
from tests.seamwatch.conftest import WriteConfig
from tests.storage.seed import MIN, R, add_event, write_runs

NOW = now_ms() // MIN * MIN


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


CONFIG = """
storage: {{url: "{url}"}}
maintenance:
  - {{name: deploy, cron: "{cron}", duration: 30m, integrations: [payments]}}
integrations:
  - name: payments
    slo: {{objective: 99%}}
    base_url: http://127.0.0.1:9
    probes:
      - {{name: charges, steps: [{{name: get, path: /}}]}}
  - name: search
    base_url: http://127.0.0.1:9
    probes:
      - {{name: query, steps: [{{name: get, path: /}}]}}
"""


def seed(url: str) -> None:
    store = open_store(url)
    try:
        charges = [R(NOW - (100 - i) * 10 * MIN, 100.0) for i in range(100)]
        for i, category in ((10, "server_error"), (20, "server_error"), (30, "server_error"),
                            (40, "timeout")):
            charges[i].status, charges[i].category = "failed", category
            charges[i].reason = "http_500" if category == "server_error" else "read_timeout"
        write_runs(store, "payments", "charges", charges)
        # ten failed runs inside the maintenance window (20 h ago, 30 min): left out of the SLO
        write_runs(store, "payments", "charges",
                   [R(NOW - 1200 * MIN + i * 2 * MIN + 30_000, 100.0, "failed",
                      "connection", "refused") for i in range(10)])
        write_runs(store, "search", "query", [R(NOW - (50 - i) * 10 * MIN, 200.0)
                                              for i in range(50)])
        t1 = NOW - 600 * MIN
        add_event(store, "payments", "charges", t1, "ok", "pending", "1 failed")
        add_event(store, "payments", "charges", t1 + 2 * MIN, "pending", "firing", "3 failed")
        add_event(store, "payments", "charges", t1 + 12 * MIN, "firing", "ok", "2 good")
        add_event(store, "payments", "charges", NOW - 5 * MIN, "ok", "firing", "3 failed")
    finally:
        store.close()


def config_for(url: str, write_config: WriteConfig) -> Path:
    opened = (NOW - 1200 * MIN) // 1000
    minute, hour = opened // 60 % 60, opened // 3600 % 24
    return write_config(CONFIG.format(url=url, cron=f"{minute} {hour} * * *"))


def test_report_in_three_formats(url: str, write_config: WriteConfig,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    seed(url)
    soon_ms = int((time.time() + 10 * 86400) * 1000)
    later_ms = int((time.time() + 60 * 86400) * 1000)
    store = open_store(url)
    with store.write() as conn:  # what runs saw will expire: only the first is within 30 days
        conn.execute(expiries_t.insert(), [
            {"integration": "payments", "kind": kind, "subject": subject, "probe": "charges",
             "expires_ms": at, "first_seen_ms": 0, "last_seen_ms": 0}
            for kind, subject, at in [("certificate", "api.pay.test:443", soon_ms),
                                      ("access_token", "access token", soon_ms),
                                      ("declared", "client secret", later_ms)]])
    store.close()
    path = config_for(url, write_config)
    assert main(["report", "-c", str(path), "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    pay, search = got["integrations"]
    assert (pay["integration"], pay["objective_pct"], pay["runs"], pay["failed"]) == (
        "payments", 99.0, 100, 4)
    assert pay["attainment_pct"] == pytest.approx(96.0)
    assert pay["budget_used_pct"] == pytest.approx(400.0)
    # categories count every failed run, maintenance ones too
    assert pay["top_categories"] == [["connection", 10], ["server_error", 3], ["timeout", 1]]
    first = pay["incidents"][0]
    assert (first["probe"], first["duration_s"], first["ongoing"]) == ("charges", 720.0, False)
    assert pay["incidents"][1]["ongoing"] is True
    assert pay["mttr_s"] == pytest.approx(720.0)
    assert 100 <= pay["p50_ms"] <= 125
    (cert,) = pay["expiries"]
    assert (cert["kind"], cert["subject"]) == ("certificate", "api.pay.test:443")
    assert (search["objective_pct"], search["runs"], search["failed"]) == (None, 50, 0)
    assert search["attainment_pct"] == 100.0 and search["budget_used_pct"] is None
    assert search["incidents"] == [] and search["mttr_s"] is None

    assert main(["report", "-c", str(path), "--format", "csv", "--period", "7d"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["integration"] for r in rows] == ["payments", "search"]
    assert (rows[0]["objective_pct"], rows[0]["attainment_pct"], rows[0]["budget_used_pct"],
            rows[0]["runs"], rows[0]["failed"], rows[0]["incidents"],
            rows[0]["mttr_s"]) == ("99", "96", "400", "100", "4", "2", "720")
    assert rows[0]["top_categories"].startswith("connection:10;server_error:3")
    assert rows[1]["budget_used_pct"] == "" and rows[1]["expiries_30d"] == "0"
    assert rows[0]["expiries_30d"] == "1"

    assert main(["report", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert "payments     99.000%    96.000%     400.0%       100   4       2          12m" in text
    assert "top failure categories: connection 10, server_error 3, timeout 1" in text
    assert "charges  12m  3 failed" in text
    assert "expiries in the next 30 days: certificate api.pay.test:443 20" in text
    assert "expiries in the next 30 days: none known" in text  # search


def test_rollups_give_the_same_counts(url: str, write_config: WriteConfig) -> None:
    seed(url)
    config = load_config(config_for(url, write_config))
    store = open_store(url)
    try:
        before = build_report(config, store, 30 * 86400, NOW)
        roll_up_completed_hours(store, NOW)
        after = build_report(config, store, 30 * 86400, NOW)
    finally:
        store.close()
    for a, b in zip(before.integrations, after.integrations, strict=True):
        assert (a.runs, a.failed, a.attainment_pct, a.top_categories) == (
            b.runs, b.failed, b.attainment_pct, b.top_categories)
    assert render(after, "csv").splitlines()[1].startswith("payments,99,96,400,100,4,2,")


def test_a_bad_period_exits_2(write_config: WriteConfig, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = config_for(f"sqlite:///{tmp_path / 'x.db'}", write_config)
    assert main(["report", "-c", str(path), "--period", "soon"]) == 2
    assert capsys.readouterr().err.startswith("seamwatch: --period: ")
