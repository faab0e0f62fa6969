"""Figure builders: pure functions; the traces carry the right numbers."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import plotly.graph_objects as go

from dashboard import figures
from dashboard.figures.common import local_times
from storage.reads.alert_history import StateBand
from storage.reads.probe_series import (
    FailedRun,
    LatencyPoint,
    LifetimePoint,
    RateLimitPoint,
    StepPoint,
)

T = 1_767_225_600_000  # 2026-01-01T00:00Z
H = 3_600_000


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
    fig = figures.latency_figure(points, failed, "UTC")
    assert isinstance(fig, go.Figure)
    assert list(_trace(fig, "p50").y) == [50.0, 40.0]
    assert list(_trace(fig, "p95").y) == [95.0, 80.0]
    assert list(_trace(fig, "p99").y) == [99.0, 90.0]
    marks = _trace(fig, "failed run")
    assert list(marks.y) == [120.0] and marks.marker.symbol == "x"
    assert list(marks.customdata[0]) == ["timeout", "read_timeout"]
    assert "UTC" in fig.layout.xaxis.title.text
    empty = figures.latency_figure([], [], "UTC")
    assert empty.layout.annotations[0].text == "No runs in this time range"


def test_stacked_areas_keep_order_and_fill_gaps() -> None:
    pts = [StepPoint(T, "auth", 10.0), StepPoint(T, "list", 30.0), StepPoint(T + H, "list", 20.0)]
    fig = figures.stacked_area(pts, "UTC", title="Time per step")
    assert [t.name for t in fig.data] == ["auth", "list"]
    assert list(fig.data[0].y) == [10.0, 0.0] and list(fig.data[1].y) == [30.0, 20.0]
    assert all(t.stackgroup == "one" for t in fig.data)


def test_category_bars_stack_counts_per_bucket() -> None:
    cats = {T: Counter({"timeout": 2, "auth": 1}), T + H: Counter({"timeout": 1})}
    fig = figures.category_bars(cats, "UTC", H)
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data] == ["timeout", "auth"]  # probes.result.Category order
    assert list(_trace(fig, "timeout").y) == [2, 1] and list(_trace(fig, "auth").y) == [1, 0]
    assert figures.category_totals(cats) == Counter({"timeout": 3, "auth": 1})
    assert figures.category_bars({}, "UTC", H).layout.annotations


def test_state_timeline_bands() -> None:
    bands = {"list": [StateBand(T, T + H, "ok", ""),
                      StateBand(T + H, T + 3 * H, "firing", "3 failed run(s) (timeout)")],
             "auth": [StateBand(T, T + 3 * H, "ok", "")]}
    fig = figures.state_timeline(bands, "UTC")
    firing = _trace(fig, "firing")
    assert list(firing.y) == ["list"] and list(firing.x) == [2 * H]
    assert firing.base[0] == datetime(2026, 1, 1, 1, 0)
    assert firing.customdata[0][1] == "3 failed run(s) (timeout)"
    ok = _trace(fig, "ok")
    assert sorted(ok.y) == ["auth", "list"] and sorted(ok.x) == [H, 3 * H]
    assert fig.layout.yaxis.autorange == "reversed"


def test_rate_limit_and_lifetimes() -> None:
    fig = figures.rate_limit_figure([RateLimitPoint(T, 0.05, 100, 5),
                                     RateLimitPoint(T + H, 0.5, 100, 50)], "UTC", threshold=0.2)
    assert list(fig.data[0].y) == [5.0, 50.0]
    assert fig.layout.shapes[0].y0 == 20.0
    assert figures.rate_limit_figure([], "UTC").layout.annotations[0].text.startswith(
        "The integration sends no rate-limit")
    fig = figures.lifetime_figure([LifetimePoint(T, 1800.0, None),
                                   LifetimePoint(T + H, 1200.0, 30.0)], "UTC")
    assert list(_trace(fig, "credential lifetime (min)").y) == [30.0, 20.0]
    cert = _trace(fig, "certificate days left")
    assert list(cert.y) == [30.0] and cert.yaxis == "y2"


def test_sparkline_is_bare() -> None:
    fig = figures.sparkline([1.0, None, 3.0])
    assert list(fig.data[0].y) == [1.0, None, 3.0]
    assert fig.layout.xaxis.visible is False and fig.layout.showlegend is False
