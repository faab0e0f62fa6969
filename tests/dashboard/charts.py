"""What every chart of the dashboard must satisfy, checked on the figure itself (a `go.Figure`
from a builder, or the JSON a page sent to the browser):

* its time axis spans exactly the selected range (never what the data happens to cover);
* no bar is wider than its bucket, nor reaches past the range;
* nothing is drawn outside the range, nor before a probe's first run;
* a chart with nothing to draw carries its explanation in words;
* the legend sits right of the plot, so it can never cover the title.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from dashboard.figures.common import Window, axis_time, local_time


def as_dict(fig: go.Figure | Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(fig, go.Figure):
        return dict(json.loads(fig.to_json()))
    if isinstance(fig, str):
        return dict(json.loads(fig))
    return dict(fig)


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _list(value: Any, n: int) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value] * n


def assert_chart(fig: go.Figure | Mapping[str, Any] | str, window: Window | Sequence[Window],
                 tz: str | None, *, first_run_ms: Mapping[str, int] | None = None) -> str:
    """Check the rules above; `window` may list the ranges a page could have selected (a
    preset moves with the clock). Returns the chart's title."""
    spec = as_dict(fig)
    layout = spec.get("layout", {})
    title = str(layout.get("title", {}).get("text", ""))
    windows = [window] if hasattr(window, "start_ms") else list(window)  # type: ignore[arg-type]
    xaxis = layout.get("xaxis", {})
    ranges = [[axis_time(w.start_ms, tz), axis_time(w.end_ms, tz)] for w in windows]
    assert list(xaxis.get("range") or []) in ranges, (title, xaxis.get("range"), ranges)
    assert xaxis.get("autorange") is False, title
    chosen = windows[ranges.index(list(xaxis["range"]))]
    lo, hi = local_time(chosen.start_ms, tz), local_time(chosen.end_ms, tz)
    data = spec.get("data", [])
    if not data:
        texts = [a.get("text") for a in layout.get("annotations", [])]
        assert texts and all(texts), f"{title}: an empty chart must say why"
        return title
    legend = layout.get("legend", {})
    assert layout.get("showlegend") is False or legend.get("x", 0) >= 1, (title, legend)
    assert layout["title"].get("yref") == "container", title
    for trace in data:
        if trace.get("type") == "bar" and trace.get("orientation") == "h":
            bases = [_when(b) for b in _list(trace.get("base"), len(trace["y"]))]
            for row, base, length in zip(trace["y"], bases, trace["x"], strict=True):
                assert lo <= base and base.timestamp() * 1000 + length <= (
                    hi.timestamp() * 1000 + 1), (title, row, base)
                if first_run_ms and row in first_run_ms:
                    assert base >= local_time(first_run_ms[row], tz), (title, row, base)
            continue
        xs = [_when(x) for x in trace.get("x") or [] if x is not None]
        assert all(lo <= x <= hi for x in xs), (title, trace.get("name"), min(xs), max(xs))
        if trace.get("type") == "bar":
            widths = _list(trace.get("width"), len(xs))
            assert all(w is not None and 0 < w <= chosen.bucket_ms for w in widths), (
                title, trace.get("name"), widths, chosen.bucket_ms)
            for x, w in zip(xs, widths, strict=True):  # the whole bar is inside the range
                mid = x.timestamp() * 1000
                assert lo.timestamp() * 1000 <= mid - w / 2 and mid + w / 2 <= (
                    hi.timestamp() * 1000), (title, x, w)
    return title
