"""The pure state machine, table-driven: a sequence of run statuses -> states and emails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.state import NotifyRules, ProbeState, apply_run, is_due, reconcile
from core.policy import AlertPolicy
from core.states import AlertState
from storage.codes import to_ms
from tests.alerts.conftest import T0, result

F, O, D = "failed", "ok", "degraded"  # noqa: E741
CASES = [
    # (policy, runs, states after each run, emails after each run ('' = none))
    ({}, [F, F, F], "pending pending firing", ". . firing"),
    ({}, [F, F, O, F, F], "pending pending ok pending pending", ". . . . ."),
    ({}, [F, F, F, F, O, O], "pending pending firing firing firing ok",
     ". . firing . . resolved"),
    ({}, [F, F, F, O, F, O, O], "pending pending firing firing firing firing ok",
     ". . firing . . . resolved"),
    ({"failure_threshold": 1, "recovery_threshold": 1}, [F, O], "firing ok", "firing resolved"),
    ({"failure_threshold": 1}, [F, D, D], "firing firing ok", "firing . resolved"),
    ({}, [D, D, D, O, O], "ok ok degraded degraded ok", ". . . . ."),
    ({"notify_degraded": True}, [D, D, D, D, O, O], "ok ok degraded degraded degraded ok",
     ". . degraded . . resolved"),
    ({"notify_degraded": True}, [D, D, D, F, F, F], "ok ok degraded pending pending firing",
     ". . degraded . . firing"),
    ({"notify_degraded": True, "failure_threshold": 1}, [D, O], "degraded degraded",
     "degraded ."),
]


@pytest.mark.parametrize(("policy_kwargs", "runs", "states", "emails"), CASES)
def test_sequences(policy_kwargs: dict[str, object], runs: list[str], states: str,
                   emails: str) -> None:
    policy = AlertPolicy.model_validate(policy_kwargs)
    rules = NotifyRules(send_resolved=True, repeat_interval=0)
    st = ProbeState("payments", "list-charges")
    got_states, got_emails = [], []
    for i, status in enumerate(runs):
        at = T0 + timedelta(seconds=30 * i)
        apply_run(st, result("payments/list-charges", status, at), policy, at)
        got_states.append(str(st.state))
        kind = reconcile(st, policy, rules, at)
        got_emails.append(str(kind) if kind else ".")
    assert " ".join(got_states) == states
    assert " ".join(got_emails) == emails


def test_transition_reasons_and_incident_duration() -> None:
    policy = AlertPolicy(failure_threshold=2, recovery_threshold=1)
    st = ProbeState("payments", "list-charges")
    first = apply_run(st, result("payments/list-charges", F, T0), policy, T0)
    assert first is not None and (first.from_state, first.to_state) == ("ok", "pending")
    assert first.reason == "1 failed run(s) in a row (timeout: connect_timeout)"
    assert first.run_started_ms == to_ms(T0) and first.at_ms == to_ms(T0)
    at = T0 + timedelta(minutes=1)
    fired = apply_run(st, result("payments/list-charges", F, at), policy, at)
    assert fired is not None and fired.to_state == "firing"
    at = T0 + timedelta(minutes=2)
    assert apply_run(st, result("payments/list-charges", F, at), policy, at) is None
    at = T0 + timedelta(minutes=12)
    back = apply_run(st, result("payments/list-charges", O, at), policy, at)
    assert back is not None and back.reason == "1 good run(s) in a row, incident lasted 12m"
    assert st.recent[-1]["status"] == "ok" and len(st.recent) == 4


def test_send_resolved_false_still_clears_the_notification() -> None:
    policy = AlertPolicy(failure_threshold=1, recovery_threshold=1)
    rules = NotifyRules(send_resolved=False, repeat_interval=0)
    st = ProbeState("a", "b")
    apply_run(st, result("a/b", F, T0), policy, T0)
    assert reconcile(st, policy, rules, T0) == "firing"
    apply_run(st, result("a/b", O, T0), policy, T0)
    assert reconcile(st, policy, rules, T0) is None
    assert st.notified is None


def test_reminders_every_repeat_interval() -> None:
    policy = AlertPolicy(failure_threshold=1)
    rules = NotifyRules(repeat_interval=3600)
    st = ProbeState("a", "b")
    apply_run(st, result("a/b", F, T0), policy, T0)
    assert reconcile(st, policy, rules, T0) == "firing"
    assert not is_due(st, rules, T0 + timedelta(minutes=59))
    assert reconcile(st, policy, rules, T0 + timedelta(minutes=59)) is None
    assert is_due(st, rules, T0 + timedelta(hours=1))
    assert reconcile(st, policy, rules, T0 + timedelta(hours=1)) == "reminder"
    assert reconcile(st, policy, rules, T0 + timedelta(hours=1, minutes=30)) is None
    assert reconcile(st, policy, rules, T0 + timedelta(hours=2)) == "reminder"


def test_flapping_sends_one_pair_per_window_and_releases_a_held_firing() -> None:
    policy = AlertPolicy(failure_threshold=1, recovery_threshold=1)
    rules = NotifyRules(repeat_interval=3600)
    st = ProbeState("a", "b")
    emails = []
    at = T0
    for _ in range(20):  # fail/ok every minute for 40 minutes
        for status in (F, O):
            apply_run(st, result("a/b", status, at), policy, at)
            kind = reconcile(st, policy, rules, at)
            if kind:
                emails.append(str(kind))
            at += timedelta(minutes=1)
    assert emails == ["firing", "resolved"]
    assert st.state == AlertState.OK and st.flaps == 20  # reset when a FIRING is queued
    apply_run(st, result("a/b", F, at), policy, at)  # failing when the window has passed
    assert reconcile(st, policy, rules, at) is None  # still inside the hour
    at = T0 + timedelta(hours=1)
    assert is_due(st, rules, at)
    assert reconcile(st, policy, rules, at) == "firing"


def test_silenced_state_records_the_underlying_transition() -> None:
    policy = AlertPolicy(failure_threshold=1)
    st = ProbeState("a", "b", silenced_by="nightly")
    tr = apply_run(st, result("a/b", F, T0), policy, T0)
    assert tr is not None
    assert (tr.from_state, tr.to_state, tr.condition) == ("silenced", "silenced", "firing")
    assert tr.reason.startswith("ok → firing during maintenance 'nightly'")
    assert reconcile(st, policy, NotifyRules(), T0) is None
    assert st.state == AlertState.SILENCED and st.condition == AlertState.FIRING


QUOTA_REASON = "rate-limit quota 'search' predicted to run out in 9m, before it resets in 41m"


@pytest.mark.parametrize(("reason", "alerts", "expected"), [
    # degraded by the forecast, `notify: true`: a QUOTA notice even without notify_degraded
    (QUOTA_REASON, {"rate_limit_forecast": {"within": "15m", "notify": True}}, "quota"),
    # the forecast without `notify`: degraded, silent
    (QUOTA_REASON, {"rate_limit_forecast": {"within": "15m"}}, None),
    # with notify_degraded the forecast's notice is still a QUOTA one
    (QUOTA_REASON, {"notify_degraded": True}, "quota"),
    # another cause with notify_degraded: DEGRADED; with only the forecast's notify: nothing
    ("latency 2.5s over degraded_latency 2s", {"notify_degraded": True}, "degraded"),
    ("latency 2.5s over degraded_latency 2s",
     {"rate_limit_forecast": {"within": "15m", "notify": True}}, None),
])
def test_quota_notices(reason: str, alerts: dict[str, object], expected: str | None) -> None:
    policy = AlertPolicy.model_validate({"failure_threshold": 2, **alerts})
    st = ProbeState("github", "search")
    for i in range(2):
        at = T0 + timedelta(minutes=i)
        run = result("github/search", "degraded", at)
        run.degraded_reason = reason
        apply_run(st, run, policy, at)
    assert st.condition is AlertState.DEGRADED
    kind = reconcile(st, policy, NotifyRules(), T0 + timedelta(minutes=2))
    assert (None if kind is None else str(kind)) == expected
