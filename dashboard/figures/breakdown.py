"""Where the time goes and why runs fail: per-step and per-phase stacked areas, and error
categories as stacked bars per time bucket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.figures.common import (
    CATEGORY_COLORS,
    SERIES_COLORS,
    base_figure,
    empty_figure,
    local_times,
)
from storage.reads.probe_series import StepPoint


def stacked_area(points: Sequence[StepPoint], tz: str | None, *, title: str) -> go.Figure:
    """One filled, stacked trace per name (step or phase), in first-seen order; the stack's
    height is the mean run latency in the bucket."""
    if not points:
        return empty_figure(title, "No step timings in this time range")
    names: list[str] = []
    for p in points:
        if p.name not in names:
            names.append(p.name)
    buckets = sorted({p.start_ms for p in points})
    values = {(p.start_ms, p.name): p.mean_ms for p in points}
    fig = base_figure(title, tz, y_title="ms per run")
    xs = local_times(buckets, tz)
    for i, name in enumerate(names):
        fig.add_trace(go.Scatter(
            x=xs, y=[values.get((b, name), 0.0) for b in buckets], name=name, mode="lines",
            stackgroup="one", line={"width": 0.5, "color": SERIES_COLORS[i % len(SERIES_COLORS)]},
            hovertemplate=f"{name} %{{y:.1f}} ms<extra></extra>",
        ))
    return fig


def category_bars(
    categories: Mapping[int, Counter[str]], tz: str | None, bucket_ms: int,
    *, title: str = "Failures by category",
) -> go.Figure:
    """Stacked bars: failed runs per category in each bucket (categories in the order of
    `probes.result.Category`, each with its fixed colour)."""
    if not categories or not any(categories.values()):
        return empty_figure(title, "No failures in this time range")
    buckets = sorted(categories)
    present = {c for counts in categories.values() for c in counts}
    order = [c for c in CATEGORY_COLORS if c in present] + sorted(present - set(CATEGORY_COLORS))
    fig = base_figure(title, tz, y_title="failed runs")
    xs = local_times([b + bucket_ms // 2 for b in buckets], tz)
    for cat in order:
        fig.add_trace(go.Bar(
            x=xs, y=[categories[b].get(cat, 0) for b in buckets], name=cat,
            marker_color=CATEGORY_COLORS.get(cat, "#444"), width=bucket_ms * 0.9,
            hovertemplate=f"{cat}: %{{y}}<extra></extra>",
        ))
    fig.update_layout(barmode="stack", bargap=0.05)
    return fig


def category_totals(categories: Mapping[int, Counter[str]]) -> Counter[str]:
    """Failed runs per category over the whole range."""
    total: Counter[str] = Counter()
    for counts in categories.values():
        total.update(counts)
    return total
