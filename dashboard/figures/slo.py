"""SLO figures: the error budget's burn-down over the SLO window, and the burn rate per window
against the alert thresholds (docs/alerts.md, "Burn rate")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from alerts.burn import RULES, WINDOWS_MS
from dashboard.figures.common import empty_figure, local_times, styled, time_figure
from storage.reads.slo import Count


@dataclass(frozen=True, slots=True)
class _Span:
    """The hours the burn-down covers (a `figures.common.Window`)."""

    start_ms: int
    end_ms: int
    bucket_ms: int = 3_600_000


def burn_down_points(hours: Sequence[tuple[int, Count]], budget: float) -> list[tuple[int,
                                                                                    float]]:
    """(end of hour, % of the window's error budget left) after each hour: the budget is
    `budget` × every run counted in the window, spent by each failed run."""
    allowed = budget * sum(c.runs for _h, c in hours)
    if allowed <= 0:
        return []
    spent, out = 0, []
    for hour, c in hours:
        spent += c.failed
        out.append((hour + 3_600_000, 100.0 * (1 - spent / allowed)))
    return out


def burn_down_figure(hours: Sequence[tuple[int, Count]], budget: float, tz: str | None, *,
                     title: str = "Error budget left") -> go.Figure:
    points = burn_down_points(hours, budget)
    if not points:
        return empty_figure(title, "No runs in the SLO window yet", height=260)
    span = _Span(hours[0][0], points[-1][0])
    fig = time_figure(title, span, tz, height=280, y_title="% of budget left")
    left = points[-1][1]
    fig.add_trace(go.Scatter(
        x=local_times([p[0] for p in points], tz), y=[round(p[1], 2) for p in points],
        mode="lines", name="budget left", line={"shape": "hv", "width": 2,
                                                "color": "#2ca02c" if left > 0 else "#d62728"},
        fill="tozeroy", hovertemplate="%{y:.1f}% left<extra></extra>"))
    fig.add_hline(y=0, line_color="#d62728", line_dash="dash")
    fig.update_yaxes(rangemode="normal")
    return fig


def burn_rate_figure(rates: Mapping[str, float | None], *,
                     title: str = "Burn rate per window") -> go.Figure:
    """One bar per window (× the sustainable rate); the thresholds of the rules reading that
    window as markers."""
    if all(r is None for r in rates.values()):
        return empty_figure(title, "No runs in these windows", height=260)
    names = [n for n in WINDOWS_MS if n in rates]
    fig = styled(go.Figure(), title, height=280)
    fig.add_trace(go.Bar(
        x=names, y=[rates[n] or 0.0 for n in names], name="burn rate",
        marker_color="#1f77b4", hovertemplate="%{x}: %{y:.2f}×<extra></extra>"))
    thresholds = {n: max(r.rate for r in RULES if n in (r.long, r.short)) for n in names}
    fig.add_trace(go.Scatter(
        x=names, y=[thresholds[n] for n in names], mode="markers", name="alert threshold",
        marker={"symbol": "line-ew", "size": 30, "line": {"width": 3, "color": "#d62728"}},
        hovertemplate="%{x}: alert over %{y:g}×<extra></extra>"))
    fig.update_layout(hovermode="closest", yaxis={
        "title": "× sustainable rate",
        "type": "log" if max((r or 0) for r in rates.values()) > 50 else "linear"})
    return fig
