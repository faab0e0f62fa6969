"""The dashboard's state vocabulary, defined once: the alert states of `core.states` plus two
display-only words, their worst-first order, and how each one looks.

`failing` and `no data` describe a probe the alert evaluator has no state for (yet): its last run
failed, or it has no runs at all. Pages, tables and figures take state names, order and look from
here; an integration shows the worst state of its probes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.states import SEVERITY_ORDER, AlertState

FIRING = str(AlertState.FIRING)
PENDING = str(AlertState.PENDING)
DEGRADED = str(AlertState.DEGRADED)
SILENCED = str(AlertState.SILENCED)
OK = str(AlertState.OK)
FAILING = "failing"  # no alert state; the last run failed (as bad as firing, without an alert)
NO_DATA = "no data"  # no alert state and no runs


def _display_order() -> tuple[str, ...]:
    order = [str(state) for state in SEVERITY_ORDER]
    order.insert(order.index(FIRING) + 1, FAILING)
    return (*order, NO_DATA)


# Worst first: firing, failing, pending, degraded, silenced, ok, no data.
DISPLAY_STATES: tuple[str, ...] = _display_order()
# The alert states that need attention, worst first (the Alerts page's counters).
ALERTING_STATES: tuple[str, ...] = tuple(str(s) for s in SEVERITY_ORDER if s is not AlertState.OK)


def severity(state: str | None) -> int:
    """Sort key: 0 for the worst state; None counts as `no data`, an unknown word sorts last."""
    try:
        return DISPLAY_STATES.index(state or NO_DATA)
    except ValueError:
        return len(DISPLAY_STATES)


def worst_state(states: Iterable[str | None]) -> str:
    return min((s or NO_DATA for s in states), key=severity, default=NO_DATA)


@dataclass(frozen=True)
class StateLook:
    """How a state is drawn: the word always carries the meaning, colour and icon only help."""

    badge: str  # st.badge colour
    icon: str  # Material icon of the badge
    emoji: str  # the colour in tables, where badges cannot go
    color: str  # figure colour


LOOKS: dict[str, StateLook] = {
    FIRING: StateLook("red", ":material/error:", "🔴", "#d62728"),
    FAILING: StateLook("red", ":material/error:", "🔴", "#d62728"),
    PENDING: StateLook("orange", ":material/pending:", "🟠", "#ff7f0e"),
    DEGRADED: StateLook("yellow", ":material/warning:", "🟡", "#e6b800"),
    SILENCED: StateLook("violet", ":material/notifications_off:", "🟣", "#8c6bb1"),
    OK: StateLook("green", ":material/check_circle:", "🟢", "#2ca02c"),
    NO_DATA: StateLook("gray", ":material/help:", "⚪", "#9e9e9e"),
}
UNKNOWN_LOOK = StateLook("gray", ":material/help:", "⚪", "#444")


def look(state: str | None) -> StateLook:
    """The look of `state` (None is `no data`; a word the dashboard does not know is grey)."""
    return LOOKS.get(state or NO_DATA, UNKNOWN_LOOK)

