"""The Expiries & quotas page through AppTest (the seeded scenario database plus expiries and a
draining quota), and its quota figure."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.figures.common import empty_message
from dashboard.figures.quota import quota_figure
from probes.quota import QuotaSample, forecast
from probes.result import RateLimit, StepResult, StepStatus
from storage.database import open_store
from storage.ingest.writer import ResultWriter
from storage.reads.quota import QuotaView
from storage.schema import expiries_t
from tests.dashboard.conftest import APP, Scenario
from tests.storage.factories import result

MIN = 60_000


@pytest.fixture
def foresight_db(scenario: Scenario, tmp_path: Path) -> Path:
    """A copy of the scenario with expiries and a `search` quota that drains fast."""
    db = tmp_path / "copy.db"
    shutil.copy(scenario.db_url.removeprefix("sqlite:///"), db)
    store = open_store(f"sqlite:///{db}")
    now = scenario.now_ms
    with store.write() as conn:
        conn.execute(expiries_t.insert(), [
            {"integration": "payments", "kind": kind, "subject": subject, "probe": "auth",
             "expires_ms": now + days * 86_400_000, "lifetime_ms": lifetime,
             "longest_lifetime_ms": longest, "first_seen_ms": now, "last_seen_ms": now}
            for kind, subject, days, lifetime, longest in [
                ("declared", "client secret (declared expires_at)", 40, None, None),
                ("certificate", "api.pay.test:443", 6, None, None),
                ("access_token", "access token", 0.01, 300_000, 3_600_000)]])
    reset_s = (now + 60 * MIN) / 1000

    async def write() -> None:
        async with ResultWriter(store) as writer:
            for i, left in enumerate([50, 40, 30, 20]):
                at = datetime.fromtimestamp((now - (8 - 2 * i) * MIN) / 1000, UTC)
                started = at.timestamp()
                step = StepResult("find", StepStatus.OK, 10.0, 200, rate_limit=RateLimit(
                    100, left, reset_s - started, None, "search"))
                writer.submit(replace(result("crm", "contacts", at=at), steps=[step]))

    asyncio.run(write())
    store.close()
    return db


def test_the_page_lists_expiries_and_forecasts_the_quota(
    scenario: Scenario, foresight_db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(scenario.config_path.read_text(encoding="utf-8").replace(
        scenario.db_url, f"sqlite:///{foresight_db}"), encoding="utf-8")
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("dashboard/pages/foresight.py").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table["What"]) == ["access token", "certificate", "declared"]
    assert table["When"][0].endswith("renewed by seamwatch; lifetime 5 min, was 1 h")
    assert table["When"][1].startswith("in 5 d") or table["When"][1].startswith("in 6 d")
    charts = {c.proto.id: c for c in at.get("plotly_chart")}
    assert charts, "a quota chart"
    metrics = [(m.label, m.value) for m in at.metric]
    assert ("Spent per minute", "5.0") in metrics
    runs_out = [v for label, v in metrics if label == "Runs out"]
    assert any(v[:2].isdigit() for v in runs_out), runs_out  # a time: before the reset


def _view(remaining: list[int], reset_after_s: float) -> QuotaView:
    t0 = 1_767_225_600.0
    samples = [QuotaSample(t0 + 60 * i, r, 100, t0 + reset_after_s) for i, r in
               enumerate(remaining)]
    return QuotaView("crm", "search", samples, forecast("search", samples))


class _Window:
    start_ms = 1_767_225_600_000 - 3_600_000
    end_ms = 1_767_225_600_000 + 5 * 60_000
    bucket_ms = 60_000


def test_the_forecast_line_runs_to_exhaustion_before_the_reset() -> None:
    fig = quota_figure(_view([50, 40, 30, 20], 3600), _Window(), "UTC")
    left, ahead = fig.data
    assert list(left.y) == [50, 40, 30, 20] and ahead.name == "runs out"
    assert ahead.y[-1] == 0 and ahead.line.color == "#d62728"
    # the axis reaches the predicted exhaustion (5 min after the last sample), beyond the range
    assert fig.layout.xaxis.range[1] > "2026-01-01 00:05"


def test_a_quota_that_lasts_is_drawn_to_its_reset_and_empty_says_why() -> None:
    fig = quota_figure(_view([90, 89, 88], 600), _Window(), "UTC")
    assert fig.data[1].name == "lasts to reset" and fig.data[1].y[-1] > 0
    empty = quota_figure(QuotaView("crm", ""), _Window(), "UTC")
    assert empty_message(empty) == "No rate-limit headers in this range"
