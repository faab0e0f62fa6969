"""Alert-state timeline: one row per probe, coloured bands per state, the reason of the
transition that started each band on hover."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.figures.common import base_figure, empty_figure, local_time
from dashboard.states import DISPLAY_STATES, look
from storage.reads.alert_history import StateBand


def state_timeline(
    bands: Mapping[str, Sequence[StateBand]], tz: str | None,
    *, title: str = "Alert state",
) -> go.Figure:
    """Horizontal bars: for each row label (probe), one bar per band from its start to its end,
    coloured and named by state (a legend entry per state, so it reads without colour too)."""
    if not bands or not any(bands.values()):
        return empty_figure(title, "No alert history in this time range", height=160)
    rows = list(bands)
    fig = base_figure(title, tz, height=max(160, 70 + 36 * len(rows)))
    by_state: dict[str, list[tuple[str, StateBand]]] = {}
    for row in rows:
        for band in bands[row]:
            by_state.setdefault(band.state, []).append((row, band))
    for state in [s for s in DISPLAY_STATES if s in by_state] + sorted(
            set(by_state) - set(DISPLAY_STATES)):
        items = by_state[state]
        fig.add_trace(go.Bar(
            orientation="h", name=state, y=[row for row, _ in items],
            base=[local_time(b.start_ms, tz) for _, b in items],
            x=[b.end_ms - b.start_ms for _, b in items],
            marker_color=look(state).color,
            customdata=[[state.upper(), b.reason or "—",
                         local_time(b.start_ms, tz).strftime("%Y-%m-%d %H:%M:%S"),
                         local_time(b.end_ms, tz).strftime("%Y-%m-%d %H:%M:%S")]
                        for _, b in items],
            hovertemplate="%{y}: <b>%{customdata[0]}</b> %{customdata[2]} → %{customdata[3]}"
                          "<br>%{customdata[1]}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", hovermode="closest", bargap=0.3)
    fig.update_yaxes(autorange="reversed", type="category")
    return fig
