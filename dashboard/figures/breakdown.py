"""Where the time goes and why runs fail: per-step and per-phase stacked areas, and error
categories as stacked bars per time bucket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.figures.common import (
    CATEGORY_COLORS,
    SERIES_COLORS,
    Window,
    bucket_bars,
    empty_figure,
    local_times,
    time_figure,
)
from storage.reads.probe_series import StepPoint


def stacked_area(points: Sequence[StepPoint], window: Window, tz: str | None, *, title: str,
                 empty: str = "No step timings in this time range") -> go.Figure:
    """One filled, stacked trace per name (step or phase), in first-seen order; the stack's
    height is the mean run latency in the bucket. Nothing but zeros (runs that failed before
    any time was measured) is nothing to draw; one or two buckets are drawn with markers."""
    if not any(p.mean_ms for p in points):
        return empty_figure(title, empty, window, tz)
    names: list[str] = []
    for p in points:
        if p.name not in names:
            names.append(p.name)
    buckets = sorted({p.start_ms for p in points})
    values = {(p.start_ms, p.name): p.mean_ms for p in points}
    fig = time_figure(title, window, tz, y_title="ms per run")
    xs = local_times(buckets, tz)
    mode = "lines+markers" if len(buckets) < 3 else "lines"
    for i, name in enumerate(names):
        fig.add_trace(go.Scatter(
            x=xs, y=[values.get((b, name), 0.0) for b in buckets], name=name, mode=mode,
            stackgroup="one", line={"width": 0.5, "color": SERIES_COLORS[i % len(SERIES_COLORS)]},
            hovertemplate=f"{name} %{{y:.1f}} ms<extra></extra>",
        ))
    return fig


def category_bars(
    categories: Mapping[int, Counter[str]], window: Window, tz: str | None,
    *, title: str = "Failures by category",
) -> go.Figure:
    """Stacked bars: failed runs per category in each bucket of `window` (categories in the
    order of `probes.result.Category`, each with its fixed colour). Every bar is one bucket
    wide, centred on its bucket, wherever it falls (see `bucket_bars`)."""
    if not categories or not any(categories.values()):
        return empty_figure(title, "No failures in this time range", window, tz)
    buckets = sorted(categories)
    present = {c for counts in categories.values() for c in counts}
    order = [c for c in CATEGORY_COLORS if c in present] + sorted(present - set(CATEGORY_COLORS))
    fig = time_figure(title, window, tz, y_title="failed runs")
    xs, widths = bucket_bars(buckets, window, tz)
    for cat in order:
        fig.add_trace(go.Bar(
            x=xs, y=[categories[b].get(cat, 0) for b in buckets], name=cat,
            marker_color=CATEGORY_COLORS.get(cat, "#444"),
            width=widths,
            hovertemplate=f"{cat}: %{{y}}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(rangemode="tozero", tickformat=",d", dtick=_count_tick(categories))
    return fig


def _count_tick(categories: Mapping[int, Counter[str]]) -> int | None:
    """Whole-number ticks for small counts (Plotly would label 0.5 failed runs)."""
    tallest = max((sum(c.values()) for c in categories.values()), default=0)
    return 1 if tallest <= 5 else None


def category_totals(categories: Mapping[int, Counter[str]]) -> Counter[str]:
    """Failed runs per category over the whole range."""
    total: Counter[str] = Counter()
    for counts in categories.values():
        total.update(counts)
    return total
