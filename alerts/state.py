"""The per-probe alert state machine (pure: no database, no clock of its own).

`condition` is what the runs say (ok, pending, firing, degraded); the visible state is `silenced`
instead while a maintenance window covers the probe. `notified` is what the recipients were last
told (firing, degraded or nothing); `reconcile` compares the two and decides which email, if any,
is due now. A change of condition is reported as an `AlertEvent` (`storage.schema.alerts`, the
row the evaluator stores).

Flapping rule: a probe sends at most one FIRING email per flap window (`repeat_interval`, or 4h
when `repeat_interval` is 0), and a RESOLVED email only for an incident whose FIRING was sent.
So a probe alternating fail/ok sends at most one FIRING/RESOLVED pair per window. A firing that
starts inside the window is held, not dropped: if the probe is still firing when the window has
passed since the last FIRING email, the FIRING email goes out then (counting the flaps); if it
recovered meanwhile, nothing is sent, because the last email the recipients got (RESOLVED) is
still true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from core.policy import AlertPolicy
from core.states import AlertState
from core.types import format_duration
from probes.quota import FORECAST_REASON
from probes.result import ProbeResult, RunStatus
from storage.codes import to_ms
from storage.schema.alerts import AlertEvent

RECENT_RUNS = 5
DEFAULT_FLAP_WINDOW = 4 * 3600.0


class NoticeKind(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"
    DEGRADED = "degraded"
    REMINDER = "reminder"
    QUOTA = "quota"  # degraded by a rate-limit forecast (core.policy.RateLimitForecast)


@dataclass(frozen=True, slots=True)
class NotifyRules:
    send_resolved: bool = True
    repeat_interval: float = 4 * 3600.0  # 0: no reminders

    @property
    def flap_window(self) -> timedelta:
        return timedelta(seconds=self.repeat_interval or DEFAULT_FLAP_WINDOW)


@dataclass(slots=True)
class ProbeState:
    integration: str
    probe: str
    condition: AlertState = AlertState.OK
    silenced_by: str | None = None
    since: datetime | None = None  # when `condition` was entered
    fail_streak: int = 0
    good_streak: int = 0  # passing runs (ok or degraded) in a row
    ok_streak: int = 0
    degraded_streak: int = 0
    incident_start: datetime | None = None  # first failing run of the current incident
    notified: str | None = None  # "firing" | "degraded" | None
    notified_at: datetime | None = None  # last FIRING, DEGRADED or reminder email
    fire_notice_at: datetime | None = None  # last FIRING email (the flap window)
    flaps: int = 0  # firing episodes since the last FIRING email
    last_failure: dict[str, Any] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)
    # location -> its latest run: {"at": ms, "failed": bool, "failure": snapshot or None}
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.integration}/{self.probe}"

    @property
    def state(self) -> AlertState:
        return AlertState.SILENCED if self.silenced_by else self.condition


def _failure_snapshot(run: ProbeResult) -> dict[str, Any]:
    step = next((s for s in run.steps if s.name == run.failed_step), None)
    return {
        "category": str(run.category) if run.category else None,
        "reason": run.reason,
        "message": run.message,
        "failed_step": run.failed_step,
        "http_status": step.http_status if step else None,
        "degraded_reason": run.degraded_reason,
        "at": run.started_at.isoformat(),
    }


def _cause(run: ProbeResult) -> str:
    if run.failure:
        return f"{run.category}: {run.reason}"
    return run.degraded_reason or str(run.status)


def apply_run(
    st: ProbeState, run: ProbeResult, policy: AlertPolicy, now: datetime
) -> AlertEvent | None:
    """Advance `st` by one run evaluated at `now`; return the transition of its condition (an
    event recorded at `now`), if any."""
    st.recent.append(
        {
            "at": run.started_at.isoformat(),
            "status": str(run.status),
            "latency_ms": round(run.latency_ms, 1),
            "cause": _cause(run) if run.status != RunStatus.OK else "",
        }
    )
    del st.recent[:-RECENT_RUNS]
    prev = st.condition
    new = prev
    if run.status == RunStatus.FAILED:
        st.fail_streak += 1
        st.good_streak = st.ok_streak = st.degraded_streak = 0
        st.last_failure = _failure_snapshot(run)
        if prev in (AlertState.OK, AlertState.DEGRADED):
            st.incident_start = run.started_at
        if prev != AlertState.FIRING:
            firing = st.fail_streak >= policy.failure_threshold
            new = AlertState.FIRING if firing else AlertState.PENDING
        why = f"{st.fail_streak} failed run(s) in a row ({_cause(run)})"
    else:
        st.fail_streak = 0
        st.good_streak += 1
        if run.status == RunStatus.DEGRADED:
            st.degraded_streak += 1
            st.ok_streak = 0
            if prev == AlertState.OK and st.degraded_streak >= policy.failure_threshold:
                st.last_failure = _failure_snapshot(run)
                new = AlertState.DEGRADED
        else:
            st.ok_streak += 1
            st.degraded_streak = 0
        recovered = (
            (prev == AlertState.FIRING and st.good_streak >= policy.recovery_threshold)
            or prev == AlertState.PENDING
            or (prev == AlertState.DEGRADED and st.ok_streak >= policy.recovery_threshold)
        )
        if recovered:
            new = AlertState.OK
        if new == AlertState.DEGRADED:
            why = f"{st.degraded_streak} degraded run(s) in a row ({_cause(run)})"
        elif prev == AlertState.FIRING and st.incident_start:
            lasted = format_duration((run.started_at - st.incident_start).total_seconds())
            why = f"{st.good_streak} good run(s) in a row, incident lasted {lasted}"
        else:
            why = f"{st.good_streak} good run(s) in a row"
    if new == prev:
        return None
    st.condition = new
    st.since = run.started_at
    if new == AlertState.FIRING:
        st.flaps += 1
    shown_from = AlertState.SILENCED if st.silenced_by else prev
    shown_to = AlertState.SILENCED if st.silenced_by else new
    if st.silenced_by:
        why = f"{prev} → {new} during maintenance '{st.silenced_by}': {why}"
    return AlertEvent(
        to_ms(now), st.integration, st.probe, str(shown_from), str(shown_to), str(new), why,
        to_ms(run.started_at),
    )


def reconcile(
    st: ProbeState, policy: AlertPolicy, rules: NotifyRules, now: datetime
) -> NoticeKind | None:
    """Which email is due for `st` now (and record that it was decided), or None."""
    if st.silenced_by:
        return None
    cond = st.condition
    if cond == AlertState.FIRING:
        if st.notified == "firing":
            if rules.repeat_interval > 0 and st.notified_at is not None and (
                now - st.notified_at >= timedelta(seconds=rules.repeat_interval)
            ):
                st.notified_at = now
                return NoticeKind.REMINDER
            return None
        if st.fire_notice_at is not None and now - st.fire_notice_at < rules.flap_window:
            return None  # flapping: held until the window has passed
        st.notified = "firing"
        st.notified_at = st.fire_notice_at = now
        return NoticeKind.FIRING
    if st.notified == "firing" or (st.notified == "degraded" and cond == AlertState.OK):
        st.notified = None
        st.notified_at = None
        return NoticeKind.RESOLVED if rules.send_resolved else None
    if cond == AlertState.DEGRADED and st.notified is None:
        by_quota = str(st.last_failure.get("degraded_reason") or "").startswith(FORECAST_REASON)
        quota_notice = by_quota and policy.rate_limit_forecast is not None and (
            policy.rate_limit_forecast.notify)
        if policy.notify_degraded or quota_notice:
            st.notified = "degraded"
            st.notified_at = now
            return NoticeKind.QUOTA if by_quota else NoticeKind.DEGRADED
    return None


def is_due(st: ProbeState, rules: NotifyRules, now: datetime) -> bool:
    """Whether `reconcile` would send something for a firing probe now (a reminder, or a FIRING
    held by the flap rule) — a cheap check so the tick need not copy every state."""
    if st.silenced_by or st.condition != AlertState.FIRING:
        return False
    if st.notified == "firing":
        return rules.repeat_interval > 0 and st.notified_at is not None and (
            now - st.notified_at >= timedelta(seconds=rules.repeat_interval)
        )
    return st.fire_notice_at is None or now - st.fire_notice_at >= rules.flap_window
