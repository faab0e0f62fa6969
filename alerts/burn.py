"""Burn-rate alerts on SLOs (pure: no database, no clock of its own).

Multiwindow, multi-burn-rate rules as in Google's SRE Workbook (chapter "Alerting on SLOs"): a
rule holds when the burn rate (failed share of runs / error budget) exceeds its rate over both
its long and its short window. `PAGE` rules are checked before the `TICKET` one. Guards for
probes that run rarely: the short window must hold `slo.min_runs` runs and the long window
`slo.min_failed` failed runs, so one failed run of a 5-minute probe never pages.

Flapping rule: a higher severity is entered at once; a lower one only after the condition has
stayed lower for `CLEAR_AFTER` (two 5-minute short windows). At most one PAGE email per flap
window (`repeat_interval`, or 4h when it is 0), like `alerts.state`: a page that starts again
inside the window is held and sent when the window has passed if it still holds. TICKET is sent
once per episode, never after a PAGE of the same episode; RESOLVED (`burn_resolved`) when the
condition is back to ok after a PAGE or TICKET was sent. No reminders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from core.slo import SloSpec

MIN_MS = 60_000
HOUR_MS = 60 * MIN_MS
# The windows the rules read, by name (ms).
WINDOWS_MS: dict[str, int] = {
    "5m": 5 * MIN_MS, "30m": 30 * MIN_MS, "1h": HOUR_MS, "6h": 6 * HOUR_MS, "3d": 72 * HOUR_MS,
}
CLEAR_AFTER = timedelta(minutes=10)


class Severity(StrEnum):
    OK = "ok"
    TICKET = "ticket"
    PAGE = "page"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.OK: 0, Severity.TICKET: 1, Severity.PAGE: 2}


class BurnNotice(StrEnum):
    """The notice kinds of burn-rate alerts (the `kind` of `alert_notices` and `alert_outbox`
    rows; at most 16 characters)."""

    PAGE = "burn_rate"
    TICKET = "burn_rate_ticket"
    RESOLVED = "burn_resolved"


BURN_KINDS = frozenset(str(k) for k in BurnNotice)


@dataclass(frozen=True, slots=True)
class BurnRule:
    severity: Severity
    rate: float  # burn rate both windows must exceed
    long: str  # a WINDOWS_MS name
    short: str


RULES: tuple[BurnRule, ...] = (
    BurnRule(Severity.PAGE, 14.4, "1h", "5m"),
    BurnRule(Severity.PAGE, 6.0, "6h", "30m"),
    BurnRule(Severity.TICKET, 1.0, "3d", "6h"),
)


class Counted(Protocol):
    @property
    def runs(self) -> int: ...
    @property
    def failed(self) -> int: ...


def burn_rate(count: Counted, spec: SloSpec) -> float | None:
    """How many times faster than allowed the window spends the error budget (None: no runs)."""
    if count.runs <= 0:
        return None
    return count.failed / count.runs / spec.budget


def assess(counts: Mapping[str, Counted], spec: SloSpec) -> tuple[Severity, str]:
    """The severity the windows' counts call for, and why."""
    for rule in RULES:
        long, short = counts[rule.long], counts[rule.short]
        if short.runs < spec.min_runs or long.failed < spec.min_failed:
            continue
        lr, sr = burn_rate(long, spec), burn_rate(short, spec)
        if lr is not None and sr is not None and lr > rule.rate and sr > rule.rate:
            return rule.severity, (
                f"burning the error budget at {lr:.1f}× over {rule.long} and {sr:.1f}× over "
                f"{rule.short} (threshold {rule.rate:g}×)")
    return Severity.OK, "no burn-rate rule holds"


@dataclass(slots=True)
class BurnState:
    """One SLO target's alert memory (`target`: `integration` or `integration/probe`)."""

    target: str
    severity: Severity = Severity.OK
    since: datetime | None = None
    lower_since: datetime | None = None  # when the condition first fell below `severity`
    notified: str | None = None  # "page" | "ticket" | None
    notified_at: datetime | None = None
    page_notice_at: datetime | None = None  # last PAGE email (the flap window)


@dataclass(frozen=True, slots=True)
class BurnTransition:
    target: str
    at: datetime
    from_severity: Severity
    to_severity: Severity
    reason: str


def apply_assessment(
    st: BurnState, found: Severity, reason: str, now: datetime
) -> BurnTransition | None:
    """Advance `st` by one evaluation; return the transition of its severity, if any."""
    if found.rank >= st.severity.rank:
        st.lower_since = None
        if found == st.severity:
            return None
    else:
        if st.lower_since is None:
            st.lower_since = now
        if now - st.lower_since < CLEAR_AFTER:
            return None
        st.lower_since = None
    prev, st.severity, st.since = st.severity, found, now
    return BurnTransition(st.target, now, prev, found, reason)


def reconcile_burn(
    st: BurnState, flap_window: timedelta, send_resolved: bool, now: datetime
) -> BurnNotice | None:
    """Which burn-rate email is due for `st` now (and record that it was decided), or None."""
    if st.severity == Severity.PAGE:
        if st.notified == "page":
            return None
        if st.page_notice_at is not None and now - st.page_notice_at < flap_window:
            return None  # flapping: held until the window has passed
        st.notified, st.notified_at, st.page_notice_at = "page", now, now
        return BurnNotice.PAGE
    if st.severity == Severity.TICKET:
        if st.notified is not None:
            return None
        st.notified, st.notified_at = "ticket", now
        return BurnNotice.TICKET
    if st.notified is not None:
        st.notified = st.notified_at = None
        return BurnNotice.RESOLVED if send_resolved else None
    return None
