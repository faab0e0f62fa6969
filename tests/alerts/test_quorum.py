"""Quorum across locations (alerts.quorum): which run the state machine sees, and end to end
through the evaluator: with `min_failed_locations: 2` a failure from one of two locations is
`degraded` naming it, from both it fires, and the incident names the locations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.quorum import seen_across_locations
from alerts.service import AlertService
from alerts.state import ProbeState
from core.policy import AlertPolicy
from core.redact import Redactor
from probes.result import RunStatus
from storage.database import Store
from tests.alerts.conftest import Clock, email_spec, make_config, result
from tests.alerts.helpers import events

KEY = "payments/list"


def at(clock: Clock, status: str, location: str) -> object:
    run = result(KEY, status, clock())
    run.location = location
    return run


@pytest.mark.parametrize(("quorum", "runs", "seen", "says"), [
    (1, [("ok", "eu")], "ok", ""),
    (1, [("failed", "eu")], "failed", "connect timed out"),  # one location: unchanged
    (1, [("failed", "eu"), ("ok", "us")], "failed", "from eu: connect timed out"),
    (2, [("ok", "us"), ("failed", "eu")], "degraded", "failing from eu only (1 of 2"),
    (2, [("failed", "us"), ("failed", "eu")], "failed", "from eu, us: connect timed out"),
    (2, [("failed", "us"), ("failed", "eu"), ("ok", "us")], "degraded", "failing from eu only"),
    (0.5, [("ok", "a"), ("ok", "b"), ("ok", "c"), ("failed", "a")], "degraded", "alerts fire "
     "from 2"),
    (0.5, [("ok", "a"), ("failed", "b"), ("ok", "c"), ("failed", "a")], "failed", "from a, b"),
    (3, [("failed", "eu"), ("failed", "us")], "failed", "from eu, us"),  # capped at 2 reporting
])
def test_what_the_state_machine_sees(
    quorum: float, runs: list[tuple[str, str]], seen: str, says: str
) -> None:
    clock = Clock()
    st = ProbeState("payments", "list")
    policy = AlertPolicy(min_failed_locations=quorum)
    for status, location in runs:
        out = seen_across_locations(st, at(clock, status, location), policy, 180_000)
        clock.advance(1)
    assert str(out.status) == seen
    assert says in (out.message or out.degraded_reason or "")


def test_a_silent_location_stops_counting() -> None:
    clock = Clock()
    st = ProbeState("payments", "list")
    policy = AlertPolicy(min_failed_locations=2)
    seen_across_locations(st, at(clock, "failed", "us"), policy, 180_000)
    clock.advance(181)
    out = seen_across_locations(st, at(clock, "failed", "eu"), policy, 180_000)
    assert set(st.locations) == {"eu"} and out.status == RunStatus.FAILED


def test_quorum_must_be_a_count_or_a_fraction() -> None:
    with pytest.raises(ValueError, match="whole number of locations"):
        AlertPolicy(min_failed_locations=1.5)


async def test_two_locations_fire_only_when_both_fail(store: Store) -> None:
    clock = Clock()
    cfg = make_config(email_spec(1), {KEY: {"failure_threshold": 2, "min_failed_locations": 2}})
    svc = AlertService(store, cfg, redactor=Redactor([]), clock=clock)

    def both(eu: str, us: str) -> str:
        svc.evaluate([at(clock, eu, "eu"), at(clock, us, "us")])
        clock.advance(timedelta(seconds=30).total_seconds())
        return str(svc.states()[("payments", "list")].state)

    assert [both("failed", "ok") for _ in range(3)] == ["ok", "degraded", "degraded"]
    assert [both("failed", "failed") for _ in range(2)] == ["pending", "firing"]
    [*_, (before, after, reason)] = events(store)
    assert (before, after) == ("pending", "firing") and "from eu, us" in reason
    assert both("ok", "ok") == "ok"
    await svc.stop()
