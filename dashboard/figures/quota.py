"""A rate-limit quota over time: what was left at each sample, and the forecast — the fitted
consumption line from the last sample to where it runs out, or to the reset when the quota
lasts (probes/quota.py). The time axis spans the selected range, extended to the forecast's end
when that lies ahead (so the predicted exhaustion is on the chart)."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from dashboard.figures.common import Window, empty_figure, local_times, time_figure
from storage.reads.quota import QuotaView

LEFT = "#1f77b4"
RUNS_OUT = "#d62728"
LASTS = "#2ca02c"


@dataclass(frozen=True, slots=True)
class _Range:
    start_ms: int
    end_ms: int
    bucket_ms: int


def forecast_end_ms(view: QuotaView) -> int | None:
    """Where the forecast line ends: the predicted exhaustion when it comes before the reset,
    else the reset (None without a forecast or an end)."""
    f = view.forecast
    if f is None:
        return None
    if f.runs_out_before_reset and f.exhausted_at_s is not None:
        return int(f.exhausted_at_s * 1000)
    return None if f.reset_at_s is None else int(f.reset_at_s * 1000)


def quota_figure(view: QuotaView, window: Window, tz: str | None, *,
                 title: str | None = None) -> go.Figure:
    title = title or f"Rate limit {view.label}: requests left"
    if not view.samples:
        return empty_figure(title, "No rate-limit headers in this range", window, tz)
    end = forecast_end_ms(view)
    span = _Range(window.start_ms, max(window.end_ms, end or 0), window.bucket_ms)
    fig = time_figure(title, span, tz, height=280, y_title="requests left")
    fig.add_trace(go.Scatter(
        x=local_times([int(s.at_s * 1000) for s in view.samples], tz),
        y=[s.remaining for s in view.samples], mode="lines+markers", name="left",
        line={"color": LEFT, "shape": "hv"}, marker={"size": 4},
        hovertemplate="%{y} left<extra></extra>"))
    f = view.forecast
    if f is not None and end is not None and f.rate_per_s > 0:
        last = view.samples[-1]
        at_end = max(0.0, last.remaining - f.rate_per_s * (end / 1000 - last.at_s))
        colour = RUNS_OUT if f.runs_out_before_reset else LASTS
        fig.add_trace(go.Scatter(
            x=local_times([int(last.at_s * 1000), end], tz), y=[last.remaining, at_end],
            mode="lines", name="runs out" if f.runs_out_before_reset else "lasts to reset",
            line={"color": colour, "dash": "dash"},
            hovertemplate="forecast: %{y:.0f} left<extra></extra>"))
    if f is not None and f.reset_at_s is not None:
        fig.add_vline(x=local_times([int(f.reset_at_s * 1000)], tz)[0], line_dash="dot",
                      line_color="#57606a")
    return fig
