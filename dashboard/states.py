"""The dashboard's vocabulary, defined once: two different things with different words.

* The **alert state** of a probe is the alert engine's verdict (`core.states.AlertState`: ok,
  pending, firing, degraded, silenced) plus `unknown`, for a probe the engine has no state for
  (a database written only by `seamwatch once`, or a probe `serve` has not evaluated yet). An
  integration's alert state is the worst of its probes'.
* The **last run** of a probe is what its newest run says: `ok`, `degraded` or `failed` (no
  word when it has none yet). A failed run is not a firing alert: it fires only after
  `failure_threshold` failures in a row, and only where the alert engine runs.

Pages, tables, cards and figures take the words, their worst-first order and their looks from
here; a column or card is titled "Alert state" or "Last run", never just "State".
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
UNKNOWN = "unknown"  # the alert engine has no state for the probe

# Worst first: firing, pending, degraded, silenced, ok, unknown.
ALERT_STATES: tuple[str, ...] = (*(str(s) for s in SEVERITY_ORDER), UNKNOWN)
# The alert states that need attention, worst first (the Alerts page's counters).
ALERTING_STATES: tuple[str, ...] = tuple(str(s) for s in SEVERITY_ORDER if s is not AlertState.OK)

FAILED = "failed"
# A run's status (storage.codes.RUN_STATUS), worst first.
RUN_STATUSES: tuple[str, ...] = (FAILED, DEGRADED, OK)

ALERT_STATE_HELP = ("the alert engine's state (runs in `seamwatch serve`); unknown when it has "
                    "not evaluated the probe")
LAST_RUN_HELP = "what the newest run says: ok, degraded or failed"


def severity(state: str | None) -> int:
    """Sort key of an alert state: 0 for the worst; None is `unknown`; a word the dashboard
    does not know sorts last."""
    try:
        return ALERT_STATES.index(state or UNKNOWN)
    except ValueError:
        return len(ALERT_STATES)


def worst_state(states: Iterable[str | None]) -> str:
    """The worst alert state of `states` (`unknown` for none)."""
    return min((s or UNKNOWN for s in states), key=severity, default=UNKNOWN)


def run_severity(status: str | None) -> int:
    """Sort key of a last run: failed, degraded, ok, then no run."""
    try:
        return RUN_STATUSES.index(status or "")
    except ValueError:
        return len(RUN_STATUSES)


def worst_run(statuses: Iterable[str | None]) -> str | None:
    """The worst last run of `statuses` (None when none has run)."""
    return min(statuses, key=run_severity, default=None)


@dataclass(frozen=True)
class StateLook:
    """How a word is drawn: the word always carries the meaning, colour and icon only help."""

    badge: str  # st.badge colour
    icon: str  # Material icon of the badge
    emoji: str  # the colour in tables, where badges cannot go
    color: str  # figure colour


LOOKS: dict[str, StateLook] = {
    FIRING: StateLook("red", ":material/error:", "🔴", "#d62728"),
    PENDING: StateLook("orange", ":material/pending:", "🟠", "#ff7f0e"),
    DEGRADED: StateLook("yellow", ":material/warning:", "🟡", "#e6b800"),
    SILENCED: StateLook("violet", ":material/notifications_off:", "🟣", "#8c6bb1"),
    OK: StateLook("green", ":material/check_circle:", "🟢", "#2ca02c"),
    UNKNOWN: StateLook("gray", ":material/help:", "⚪", "#bdbdbd"),
}
UNKNOWN_LOOK = StateLook("gray", ":material/help:", "⚪", "#444")
# A last run is marked with a symbol, not a coloured dot, so it never reads as an alert state.
RUN_MARKS: dict[str, str] = {FAILED: "✖", DEGRADED: "▲", OK: "✔"}


def look(state: str | None) -> StateLook:
    """The look of alert state `state` (None is `unknown`; a word not known here is grey)."""
    return LOOKS.get(state or UNKNOWN, UNKNOWN_LOOK)
