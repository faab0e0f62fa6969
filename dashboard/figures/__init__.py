"""Plotly figure builders: pure functions from storage read models to `go.Figure`, all on the
shared layout, time axis and empty state of `dashboard.figures.common`."""

from dashboard.figures.alerts import state_timeline
from dashboard.figures.breakdown import category_bars, category_totals, stacked_area
from dashboard.figures.gauges import lifetime_figure, rate_limit_figure
from dashboard.figures.latency import latency_figure

__all__ = [
    "category_bars", "category_totals", "latency_figure", "lifetime_figure", "rate_limit_figure",
    "stacked_area", "state_timeline",
]
