"""The shared pieces of every figure: one layout (title top left, legend on the right where it
can never cover the title), time axes that span the selected range, one-bucket-wide bars, the
empty state, and the category colours (state colours are in dashboard/states.py).

Every chart over time is built on `time_figure` and every chart with nothing to draw is an
`empty_figure` that says why in words, so a new page's figures get both for free
(docs/architecture.md, "A dashboard page").

Times arrive as UTC epoch milliseconds and are drawn as wall-clock times in the viewer's time
zone (`tz`, an IANA name such as "Europe/Berlin"); the zone is named in the x-axis title.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
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
BAR_FILL = 0.9  # share of its bucket a bar covers (the rest is the gap between bars)


class Window(Protocol):
    """The selected time range (dashboard.timerange.TimeRange satisfies it)."""

    @property
    def start_ms(self) -> int: ...

    @property
    def end_ms(self) -> int: ...

    @property
    def bucket_ms(self) -> int: ...


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


def axis_time(ms: int, tz: str | None) -> str:
    """An instant as a Plotly date-axis value (wall clock in `tz`, to the millisecond)."""
    return local_time(ms, tz).isoformat(sep=" ", timespec="milliseconds")


def styled(fig: go.Figure, title: str, *, height: int = 300) -> go.Figure:
    """The one layout of every figure: the title top left in the top margin, the legend on
    the right of the plot (its margin grows to fit it), never over the title or the data."""
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 1, "yref": "container",
               "yanchor": "top", "pad": {"t": 10}, "font": {"size": 15}},
        height=height,
        margin={"l": 50, "r": 20, "t": 44, "b": 40},
        hovermode="x unified",
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
        template="plotly_white",
    )
    return fig


def time_axis(fig: go.Figure, window: Window, tz: str | None) -> go.Figure:
    """The x axis spans exactly the selected range, whatever the data covers."""
    fig.update_xaxes(type="date", autorange=False, title_text=f"time ({zone(tz).key})",
                     range=[axis_time(window.start_ms, tz), axis_time(window.end_ms, tz)])
    return fig


def time_figure(title: str, window: Window, tz: str | None, *, height: int = 300,
                y_title: str | None = None) -> go.Figure:
    """An empty chart over time: the shared layout and a time axis over the selected range."""
    fig = time_axis(styled(go.Figure(), title, height=height), window, tz)
    if y_title:
        fig.update_yaxes(title_text=y_title, rangemode="tozero")
    return fig


def empty_figure(title: str, message: str, window: Window | None = None, tz: str | None = None,
                 *, height: int = 300) -> go.Figure:
    """A chart with nothing to draw says why, in words; over time, its axis still shows the
    selected range."""
    fig = styled(go.Figure(), title, height=height)
    fig.update_layout(
        yaxis={"visible": False}, showlegend=False,
        annotations=[{"text": message, "showarrow": False, "x": 0.5, "y": 0.5,
                      "xref": "paper", "yref": "paper", "font": {"size": 14}}],
    )
    if window is None:
        fig.update_xaxes(visible=False)
    else:
        time_axis(fig, window, tz)
        fig.update_xaxes(showgrid=False)
    return fig


def empty_message(fig: go.Figure) -> str | None:
    """The explanation an `empty_figure` carries, None for a figure with data."""
    if fig.data or not fig.layout.annotations:
        return None
    return str(fig.layout.annotations[0].text)


def bucket_bars(starts: Sequence[int], window: Window,
                tz: str | None) -> tuple[list[datetime], list[float]]:
    """Where a bar for each bucket goes and how wide it is: centred on its bucket, one bucket
    wide less the gap; the last bucket of a range ending "now" is partial, and so is its bar
    (a bar never reaches past the range)."""
    xs: list[datetime] = []
    widths: list[float] = []
    for start in starts:
        end = min(start + window.bucket_ms, window.end_ms)
        xs.append(local_time((start + end) // 2, tz))
        widths.append(max(0, end - start) * BAR_FILL)
    return xs, widths
