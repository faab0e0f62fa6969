"""Small shared pieces of page UI, so pages stay thin: alert-state badges and texts (word +
colour + icon, readable without colour; the words and looks are in dashboard/states.py), the
last run's text, empty states, charts drawn the same way everywhere, and time, duration, size
and latency formatting in the viewer's zone (docs/architecture.md, "A dashboard page")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from dashboard.figures.common import zone
from dashboard.states import ALERT_STATE_HELP, RUN_MARKS, UNKNOWN, look

# Plotly's mode bar without the logo and the selection tools a read-only chart has no use for.
CHART_CONFIG: dict[str, Any] = {"displaylogo": False,
                                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def browser_tz() -> str:
    """The viewer's IANA time zone (from the browser), UTC when unknown."""
    try:
        tz = st.context.timezone
    except Exception:
        tz = None
    return zone(tz).key


def state_text(state: str | None) -> str:
    """An alert state for a table, `🔴 FIRING`: the word carries the meaning, the emoji the
    colour."""
    s = state or UNKNOWN
    return f"{look(s).emoji} {s.upper()}"


def state_badge(state: str | None, *, help: str | None = ALERT_STATE_HELP) -> None:
    """An alert state as a badge."""
    s = state or UNKNOWN
    shown = look(s)
    st.badge(s.upper(), color=shown.badge, icon=shown.icon, help=help)  # type: ignore[arg-type]


def run_text(status: str | None, *, failed: int = 0, of: int = 0) -> str:
    """A last run for a table, `✖ failed` (lower case and a symbol, never an alert state's
    look); with `of`, how many probes' last runs failed (`✖ failed (2 of 3)`)."""
    if not status:
        return "— no runs yet"
    text = f"{RUN_MARKS.get(status, '?')} {status}"
    return f"{text} ({failed} of {of})" if of > 1 and failed else text


def empty_state(what: str, why: str = "") -> None:
    """The one way a page or panel says it has nothing to show: what is missing, in bold, and
    why (or what fills it)."""
    st.info(f"**{what}**" + (f" {why}" if why else ""))


def chart(fig: Any, key: str) -> None:
    """A Plotly figure from `dashboard.figures`, drawn the same way on every page."""
    st.plotly_chart(fig, config=CHART_CONFIG, key=key)


def fmt_time(ms: int | None, tz: str, *, seconds: bool = False, short: bool = False) -> str:
    """`2026-12-01 14:05`; `short`: `12-01 14:05`, for a metric card."""
    if ms is None:
        return "—"
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(ms / 1000, zone(tz)).strftime(fmt[3:] if short else fmt)


def fmt_duration(ms: float | None) -> str:
    """3723000 -> "1 h 2 min"; under a minute in seconds."""
    if ms is None:
        return "—"
    s = int(ms // 1000)
    if s < 60:
        return f"{s} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if s >= size:
            parts.append(f"{s // size} {unit}")
            s %= size
    return " ".join(parts[:2])


def fmt_age(ms: int | None, now_ms: int) -> str:
    if ms is None:
        return "—"
    return f"{fmt_duration(max(0, now_ms - ms))} ago"


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def fmt_pct(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 99.995 and value < 100:
        return "99.99%"
    return f"{value:.2f}%"
