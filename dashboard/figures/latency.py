"""Latency over time: p50 / p95 / p99 lines per bucket, failed runs marked."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.figures.common import Window, empty_figure, local_times, time_figure
from storage.reads.probe_series import FailedRun, LatencyPoint

PERCENTILE_STYLE = (
    ("p50_ms", "p50", "#1f77b4", "solid"),
    ("p95_ms", "p95", "#ff7f0e", "solid"),
    ("p99_ms", "p99", "#9467bd", "dot"),
)


def latency_figure(
    points: Sequence[LatencyPoint], failed: Sequence[FailedRun], window: Window,
    tz: str | None, *, title: str = "Latency (ms)",
) -> go.Figure:
    """One line per percentile (nearest rank within each bucket, drawn at the bucket's start)
    and a red ✕ per failed run at its latency, with its category and reason on hover. A series
    of one or two buckets is drawn with markers, so a single bucket is seen."""
    if not points and not failed:
        return empty_figure(title, "No runs in this time range", window, tz)
    fig = time_figure(title, window, tz, y_title="ms")
    xs = local_times([p.start_ms for p in points], tz)
    mode = "lines+markers" if len(points) < 3 else "lines"
    for attr, name, color, dash in PERCENTILE_STYLE:
        if not points:
            break
        fig.add_trace(go.Scatter(
            x=xs, y=[getattr(p, attr) for p in points], name=name, mode=mode,
            line={"color": color, "dash": dash, "width": 2}, connectgaps=False,
            customdata=[[p.count, "≈ from hourly rollup" if p.approximate else ""]
                        for p in points],
            hovertemplate=f"{name} %{{y:.1f}} ms (%{{customdata[0]}} runs) %{{customdata[1]}}"
                          "<extra></extra>",
        ))
    if failed:
        fig.add_trace(go.Scatter(
            x=local_times([f.started_ms for f in failed], tz),
            y=[f.latency_ms for f in failed], name="failed run", mode="markers",
            cliponaxis=False,
            marker={"symbol": "x", "size": 9, "color": "#d62728"},
            customdata=[[f.category or "?", f.reason or ""] for f in failed],
            hovertemplate="failed: %{customdata[0]} %{customdata[1]} (%{y:.0f} ms)"
                          "<extra></extra>",
        ))
    return fig
