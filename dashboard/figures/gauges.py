"""Headroom and lifetimes: rate-limit headroom (remaining / limit) over time, credential lifetime
and certificate days left."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.figures.common import Window, empty_figure, local_times, time_figure
from storage.reads.probe_series import LifetimePoint, RateLimitPoint


def rate_limit_figure(
    points: Sequence[RateLimitPoint], window: Window, tz: str | None, *,
    threshold: float | None = None, title: str = "Rate-limit headroom",
) -> go.Figure:
    """The tightest remaining/limit per bucket, in percent; `threshold` (0..1, the probe's
    `min_rate_limit_headroom`) drawn as a dashed line."""
    if not points:
        return empty_figure(title, "No rate-limit headers in this time range", window, tz,
                            height=260)
    fig = time_figure(title, window, tz, height=260, y_title="% of limit left")
    fig.add_trace(go.Scatter(
        x=local_times([p.start_ms for p in points], tz),
        y=[round(100 * p.min_headroom, 2) for p in points], mode="lines+markers",
        name="headroom", line={"color": "#17becf", "width": 2}, marker={"size": 4},
        customdata=[[p.remaining, p.limit] for p in points],
        hovertemplate="%{y:.1f}% left (~%{customdata[0]} of %{customdata[1]})<extra></extra>",
    ))
    if threshold is not None:
        fig.add_hline(y=100 * threshold, line_dash="dash", line_color="#d62728",
                      annotation_text=f"degraded under {100 * threshold:.0f}%")
    fig.update_yaxes(range=[0, 105])
    return fig


def lifetime_figure(
    points: Sequence[LifetimePoint], window: Window, tz: str | None, *,
    title: str = "Credential and certificate",
) -> go.Figure:
    """Credential lifetime (minutes, left axis) and certificate days left (right axis), the
    smallest value seen in each bucket."""
    ttl = [p for p in points if p.credential_ttl_s is not None]
    cert = [p for p in points if p.cert_days_left is not None]
    if not ttl and not cert:
        return empty_figure(title, "No credential lifetime or certificate in this time range",
                            window, tz, height=260)
    fig = time_figure(title, window, tz, height=260)
    if ttl:
        fig.add_trace(go.Scatter(
            x=local_times([p.start_ms for p in ttl], tz),
            y=[(p.credential_ttl_s or 0) / 60 for p in ttl], name="credential lifetime (min)",
            mode="lines+markers", marker={"size": 4}, line={"color": "#ff7f0e"},
            hovertemplate="credential valid for %{y:.1f} min<extra></extra>",
        ))
        fig.update_yaxes(title_text="credential minutes", rangemode="tozero")
    if cert:
        fig.add_trace(go.Scatter(
            x=local_times([p.start_ms for p in cert], tz),
            y=[p.cert_days_left for p in cert], name="certificate days left",
            mode="lines+markers", marker={"size": 4}, line={"color": "#2ca02c"},
            yaxis="y2" if ttl else "y",
            hovertemplate="certificate expires in %{y:.1f} days<extra></extra>",
        ))
        if ttl:
            fig.update_layout(yaxis2={"title": "cert days left", "overlaying": "y",
                                      "side": "right", "rangemode": "tozero"})
        else:
            fig.update_yaxes(title_text="cert days left", rangemode="tozero")
    return fig
