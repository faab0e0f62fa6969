"""Alert-state timeline: one row per probe, coloured bands per alert state over the probe's
known history only (blank before its first run), the reason of the transition that started each
band on hover, and the state each probe is in now marked at the end of its row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from dashboard.figures.common import Window, axis_time, empty_figure, local_time, time_figure
from dashboard.states import ALERT_STATES, look
from storage.reads.alert_history import StateBand

NOW_TRACE = "now"


def state_timeline(
    bands: Mapping[str, Sequence[StateBand]], window: Window, tz: str | None,
    *, title: str = "Alert state",
    empty: str = "No alert state recorded in this time range",
) -> go.Figure:
    """Horizontal bars: for each row label (probe), one bar per band from its start to its end,
    coloured and named by alert state (a legend entry per state, so it reads without colour
    too); rows without bands are left out. Each row ends in a marker and a label with the
    state of its last band (the current state when the range ends now), however short."""
    rows = [row for row, items in bands.items() if items]
    if not rows:
        return empty_figure(title, empty, window, tz, height=180)
    fig = time_figure(title, window, tz, height=max(180, 90 + 40 * len(rows)))
    by_state: dict[str, list[tuple[str, StateBand]]] = {}
    for row in rows:
        for band in bands[row]:
            by_state.setdefault(band.state, []).append((row, band))
    for state in [s for s in ALERT_STATES if s in by_state] + sorted(
            set(by_state) - set(ALERT_STATES)):
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
    _mark_now(fig, {row: bands[row][-1] for row in rows}, tz)
    fig.update_layout(barmode="overlay", hovermode="closest", bargap=0.3)
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array",
                     categoryarray=rows)
    return fig


def _mark_now(fig: go.Figure, last: Mapping[str, StateBand], tz: str | None) -> None:
    """A marker at the end of each row and the state's word left of it, on a white label."""
    rows = list(last)
    fig.add_trace(go.Scatter(
        name=NOW_TRACE, showlegend=False, mode="markers", y=rows, cliponaxis=False,
        x=[local_time(last[r].end_ms, tz) for r in rows],
        marker={"symbol": "diamond", "size": 14, "line": {"color": "white", "width": 2},
                "color": [look(last[r].state).color for r in rows]},
        customdata=[[last[r].state.upper()] for r in rows],
        hovertemplate="%{y}: <b>%{customdata[0]}</b> at the end of the range<extra></extra>",
    ))
    for r in rows:
        state = last[r].state
        fig.add_annotation(
            x=axis_time(last[r].end_ms, tz), y=r, xref="x", yref="y", text=state.upper(),
            showarrow=False, xanchor="right", xshift=-10, bgcolor="rgba(255,255,255,0.9)",
            bordercolor=look(state).color, borderwidth=1, font={"size": 11},
        )
