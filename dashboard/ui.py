"""Small shared pieces of page UI: state badges (word + colour + icon, readable without colour;
the looks are in dashboard/states.py), time and duration formatting in the viewer's zone."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard.figures.common import zone
from dashboard.states import NO_DATA, look


def browser_tz() -> str:
    """The viewer's IANA time zone (from the browser), UTC when unknown."""
    try:
        tz = st.context.timezone
    except Exception:
        tz = None
    return zone(tz).key


def state_text(state: str | None) -> str:
    """`🔴 FIRING`: the word carries the meaning, the emoji the colour (for tables)."""
    s = state or NO_DATA
    return f"{look(s).emoji} {s.upper()}"


def state_badge(state: str | None, *, help: str | None = None) -> None:
    s = state or NO_DATA
    shown = look(s)
    st.badge(s.upper(), color=shown.badge, icon=shown.icon, help=help)  # type: ignore[arg-type]


def fmt_time(ms: int | None, tz: str, *, seconds: bool = False) -> str:
    if ms is None:
        return "—"
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(ms / 1000, zone(tz)).strftime(fmt)


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
