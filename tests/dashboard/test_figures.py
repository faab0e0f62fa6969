"""Figure builders: pure functions; the traces carry the right numbers, every time axis spans the
selected range, bars are one bucket wide, empty charts say why, and the legend is never placed
over the title."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import plotly.graph_objects as go
import pytest

from dashboard import figures
from dashboard.figures.common import axis_time, empty_message, local_times
from dashboard.timerange import HOUR_MS, MINUTE_MS, custom_range
from storage.reads.alert_history import StateBand
from storage.reads.probe_series import (
    FailedRun,
    LatencyPoint,
    LifetimePoint,
    RateLimitPoint,
    StepPoint,
)
from tests.dashboard.charts import assert_chart

T = 1_767_225_600_000  # 2026-01-01T00:00Z
H = HOUR_MS
DAY = custom_range(T, T + 24 * H)  # buckets of 5 min


def _trace(fig: go.Figure, name: str) -> go.BaseTraceType:
    return next(t for t in fig.data if t.name == name)


def test_local_times_use_the_viewer_zone() -> None:
    assert local_times([T], "Europe/Berlin") == [datetime(2026, 1, 1, 1, 0)]
    assert local_times([T], "America/New_York") == [datetime(2025, 12, 31, 19, 0)]
    assert local_times([T], "Not/AZone") == [datetime(2026, 1, 1, 0, 0)]


def test_latency_lines_and_failed_markers() -> None:
    points = [LatencyPoint(T, 10, 1, 50.0, 95.0, 99.0, 120.0),
              LatencyPoint(T + H, 5, 0, 40.0, 80.0, 90.0, 91.0)]
    failed = [FailedRun(T + 60_000, 120.0, "timeout", "read_timeout")]
    fig = figures.latency_figure(points, failed, DAY, "UTC")
    assert list(_trace(fig, "p50").y) == [50.0, 40.0]
    assert list(_trace(fig, "p95").y) == [95.0, 80.0]
    assert list(_trace(fig, "p99").y) == [99.0, 90.0]
    assert _trace(fig, "p50").mode == "lines+markers"  # two buckets: each one is seen
    marks = _trace(fig, "failed run")
    assert list(marks.y) == [120.0] and marks.marker.symbol == "x"
    assert list(marks.customdata[0]) == ["timeout", "read_timeout"]
    assert "UTC" in fig.layout.xaxis.title.text
    assert_chart(fig, DAY, "UTC")
    empty = figures.latency_figure([], [], DAY, "UTC")
    assert empty_message(empty) == "No runs in this time range"
    assert_chart(empty, DAY, "UTC")


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_one_point_still_spans_the_selected_range(tz: str) -> None:
    """Issue 15: a single failed run drew an axis from 22:44:59.999 to 22:45:00.0005."""
    at = T + 22 * H + 45 * MINUTE_MS
    fig = figures.latency_figure([LatencyPoint(at, 1, 1, 5.0, 5.0, 5.0, 5.0)],
                                 [FailedRun(at, 5.0, "connection", "refused")], DAY, tz)
    assert list(fig.layout.xaxis.range) == [axis_time(DAY.start_ms, tz),
                                            axis_time(DAY.end_ms, tz)]
    assert fig.layout.xaxis.autorange is False
    assert_chart(fig, DAY, tz)


def test_stacked_areas_keep_order_and_fill_gaps() -> None:
    pts = [StepPoint(T, "auth", 10.0), StepPoint(T, "list", 30.0), StepPoint(T + H, "list", 20.0)]
    fig = figures.stacked_area(pts, DAY, "UTC", title="Time per step")
    assert [t.name for t in fig.data] == ["auth", "list"]
    assert list(fig.data[0].y) == [10.0, 0.0] and list(fig.data[1].y) == [30.0, 20.0]
    assert all(t.stackgroup == "one" for t in fig.data)
    assert_chart(fig, DAY, "UTC")


def test_steps_of_runs_that_failed_before_any_timing_are_nothing_to_draw() -> None:
    zeros = [StepPoint(T, "list", 0.0)]
    fig = figures.stacked_area(zeros, DAY, "UTC", title="Time per phase",
                               empty="No time per phase in this time range")
    assert empty_message(fig) == "No time per phase in this time range"
    assert_chart(fig, DAY, "UTC")


def test_category_bars_stack_counts_per_bucket() -> None:
    cats = {T: Counter({"timeout": 2, "auth": 1}), T + H: Counter({"timeout": 1})}
    fig = figures.category_bars(cats, DAY, "UTC")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["timeout", "auth"]  # probes.result.Category order
    assert list(_trace(fig, "timeout").y) == [2, 1] and list(_trace(fig, "auth").y) == [1, 0]
    assert figures.category_totals(cats) == Counter({"timeout": 3, "auth": 1})
    assert_chart(fig, DAY, "UTC")
    assert_chart(figures.category_bars({}, DAY, "UTC"), DAY, "UTC")


@pytest.mark.parametrize("span_h", [1, 24, 24 * 30])
def test_a_lone_bar_is_one_bucket_wide(span_h: int) -> None:
    """Issue 15: two failed runs drew one bar as wide as the whole 24 h range."""
    window = custom_range(T, T + span_h * H)
    start = window.end_ms - 3 * window.bucket_ms
    fig = figures.category_bars({start: Counter({"connection": 2})}, window, "UTC")
    (bar,) = fig.data
    assert list(bar.width) == [window.bucket_ms * 0.9]
    assert bar.x[0] == local_times([start + window.bucket_ms // 2], "UTC")[0]
    assert fig.layout.yaxis.dtick == 1  # two failed runs are 2, not 2.0 over five ticks
    assert_chart(fig, window, "UTC")


def test_the_bar_of_a_partial_last_bucket_stays_inside_the_range() -> None:
    """A range ending "now" ends inside its last bucket: that bar is as wide as the part of
    the bucket in the range, centred on it."""
    window = custom_range(T, T + 24 * H - 2 * MINUTE_MS)  # buckets of 5 min: 3 min in range
    last = T + 24 * H - 5 * MINUTE_MS
    fig = figures.category_bars({last: Counter({"timeout": 1})}, window, "UTC")
    (bar,) = fig.data
    assert list(bar.width) == [pytest.approx(3 * MINUTE_MS * 0.9)]
    assert bar.x[0] == local_times([last + 90_000], "UTC")[0]
    assert_chart(fig, window, "UTC")


def test_state_timeline_bands_and_the_current_state_at_the_end() -> None:
    bands = {"list": [StateBand(T + H, T + 3 * H, "ok", ""),
                      StateBand(T + 3 * H, T + 3 * H + 5 * MINUTE_MS, "firing",
                                "3 failed run(s) (timeout)")],
             "auth": [StateBand(T, T + 3 * H + 5 * MINUTE_MS, "ok", "")],
             "never-evaluated": []}
    fig = figures.state_timeline(bands, DAY, "UTC")
    firing = _trace(fig, "firing")
    assert list(firing.y) == ["list"] and list(firing.x) == [5 * MINUTE_MS]
    assert firing.customdata[0][1] == "3 failed run(s) (timeout)"
    ok = _trace(fig, "ok")
    assert sorted(ok.y) == ["auth", "list"]
    assert min(ok.base) == datetime(2026, 1, 1, 0, 0)  # nothing before the first run
    assert _trace(fig, "ok").base[list(ok.y).index("list")] == datetime(2026, 1, 1, 1, 0)
    now = _trace(fig, "now")
    assert list(now.y) == ["list", "auth"]
    assert [c[0] for c in now.customdata] == ["FIRING", "OK"]
    assert all(x == datetime(2026, 1, 1, 3, 5) for x in now.x)
    assert [a.text for a in fig.layout.annotations] == ["FIRING", "OK"]
    assert "never-evaluated" not in set(ok.y)
    assert fig.layout.yaxis.autorange == "reversed"
    assert_chart(fig, DAY, "UTC", first_run_ms={"list": T + H, "auth": T})
    empty = figures.state_timeline({"x": []}, DAY, "UTC", empty="No alert state recorded")
    assert empty_message(empty) == "No alert state recorded"


def test_rate_limit_and_lifetimes() -> None:
    fig = figures.rate_limit_figure([RateLimitPoint(T, 0.05, 100, 5),
                                     RateLimitPoint(T + H, 0.5, 100, 50)], DAY, "UTC",
                                    threshold=0.2)
    assert list(fig.data[0].y) == [5.0, 50.0]
    assert fig.layout.shapes[0].y0 == 20.0
    assert_chart(fig, DAY, "UTC")
    assert empty_message(figures.rate_limit_figure([], DAY, "UTC")) == (
        "No rate-limit headers in this time range")
    fig = figures.lifetime_figure([LifetimePoint(T, 1800.0, None),
                                   LifetimePoint(T + H, 1200.0, 30.0)], DAY, "UTC")
    assert list(_trace(fig, "credential lifetime (min)").y) == [30.0, 20.0]
    cert = _trace(fig, "certificate days left")
    assert list(cert.y) == [30.0] and cert.yaxis == "y2"
    assert_chart(fig, DAY, "UTC")
