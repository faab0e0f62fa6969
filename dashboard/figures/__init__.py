"""Plotly figure builders: pure functions from storage read models to `go.Figure`."""

from dashboard.figures.alerts import state_timeline
from dashboard.figures.breakdown import category_bars, category_totals, stacked_area
from dashboard.figures.gauges import lifetime_figure, rate_limit_figure
from dashboard.figures.latency import latency_figure, sparkline

__all__ = [
    "category_bars", "category_totals", "latency_figure", "lifetime_figure", "rate_limit_figure",
    "sparkline", "stacked_area", "state_timeline",
]
