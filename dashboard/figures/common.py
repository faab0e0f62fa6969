"""Shared look of every figure: category colours, layout, and local-time axes (state colours are
in dashboard/states.py).

Times arrive as UTC epoch milliseconds and are drawn as wall-clock times in the viewer's time
zone (`tz`, an IANA name such as "Europe/Berlin"); the zone is named in the x-axis title.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import plotly.graph_objects as go

CATEGORY_COLORS: dict[str, str] = {
    "timeout": "#d62728", "dns": "#9467bd", "connection": "#8c564b", "tls": "#e377c2",
    "auth": "#ff7f0e", "rate_limited": "#bcbd22", "server_error": "#b22222",
    "client_error": "#17becf", "schema": "#1f77b4", "assertion": "#7f7f7f", "slow": "#e6b800",
    "config": "#393b79", "internal": "#000000",
}
SERIES_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#d62728")


def zone(tz: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(tz or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_times(ms: Sequence[int], tz: str | None) -> list[datetime]:
    """UTC epoch ms -> naive wall-clock datetimes in `tz` (Plotly draws them as given)."""
    z = zone(tz)
    return [datetime.fromtimestamp(m / 1000, z).replace(tzinfo=None) for m in ms]


def local_time(ms: int, tz: str | None) -> datetime:
    return local_times([ms], tz)[0]


def base_figure(title: str, tz: str | None, *, height: int = 300,
                y_title: str | None = None) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        height=height,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1},
        template="plotly_white",
    )
    fig.update_xaxes(title_text=f"time ({zone(tz).key})", type="date")
    if y_title:
        fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return fig


def empty_figure(title: str, message: str, *, height: int = 300) -> go.Figure:
    """A figure that says why there is nothing to draw."""
    fig = go.Figure()
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}}, height=height,
        template="plotly_white", margin={"l": 50, "r": 20, "t": 40, "b": 40},
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                      "xref": "paper", "yref": "paper", "font": {"size": 14}}],
    )
    return fig
