"""The pure burn-rate machine, table-driven: window counts -> severity, and a sequence of
severities over time -> transitions and emails (docs/alerts.md, "Burn rate")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.burn import (
    CLEAR_AFTER,
    WINDOWS_MS,
    BurnState,
    Severity,
    apply_assessment,
    assess,
    burn_rate,
    reconcile_burn,
)
from core.slo import SloSpec, parse_objective
from storage.reads.slo import Count
from tests.alerts.conftest import T0

SPEC = SloSpec(objective=0.999)


def counts(**given: tuple[int, int]) -> dict[str, Count]:
    """Every window empty unless given as name=(runs, failed) (names without the leading digit
    are spelled w5m, w30m, w1h, w6h, w3d)."""
    out = {name: Count() for name in WINDOWS_MS}
    for key, (runs, failed) in given.items():
        out[key.removeprefix("w")] = Count(runs, failed)
    return out


ASSESS = [
    # (counts, severity)
    # a 60 s probe failing 20 %: 200× over 1 h and 5 min -> page on the 1h/5m pair
    (counts(w5m=(5, 1), w30m=(30, 6), w1h=(60, 12), w6h=(360, 72), w3d=(4320, 864)), "page"),
    # one failure of a 5-minute probe: 1 run in 5 min (min_runs), 1 failure (min_failed)
    (counts(w5m=(1, 1), w30m=(6, 1), w1h=(12, 1), w6h=(72, 1), w3d=(864, 1)), "ok"),
    # two failures of a 5-minute probe in 30 min: 6× pair holds (6 runs, 2 failed)
    (counts(w5m=(1, 1), w30m=(6, 2), w1h=(12, 2), w6h=(72, 2), w3d=(864, 2)), "page"),
    # 9 failed in 4,320 over 3 days is 2.1× the budget, 2.8× over the last 6 h: ticket
    (counts(w5m=(5, 0), w30m=(30, 0), w1h=(60, 0), w6h=(360, 1), w3d=(4320, 9)), "ticket"),
    # 3 d burning 2× but the last 6 h clean: no ticket (both windows must exceed)
    (counts(w5m=(5, 0), w30m=(30, 0), w1h=(60, 0), w6h=(360, 0), w3d=(4320, 9)), "ok"),
    # 1 h at 20× but the last 5 min clean: the 1h/5m pair does not hold; 6h/30m neither
    (counts(w5m=(5, 0), w30m=(30, 0), w1h=(60, 2), w6h=(360, 2), w3d=(4320, 2)), "ok"),
    # exactly at the rate does not exceed it
    (counts(w5m=(1000, 1), w30m=(1000, 1), w1h=(1000, 1), w6h=(1000, 1), w3d=(1000, 1)), "ok"),
]


@pytest.mark.parametrize(("given", "severity"), ASSESS)
def test_assess(given: dict[str, Count], severity: str) -> None:
    assert str(assess(given, SPEC)[0]) == severity


def test_burn_rate_and_reason() -> None:
    assert burn_rate(Count(1000, 2), SPEC) == pytest.approx(2.0)
    assert burn_rate(Count(), SPEC) is None
    sev, why = assess(counts(w5m=(5, 1), w1h=(60, 12)), SPEC)
    assert sev == Severity.PAGE
    assert why == ("burning the error budget at 200.0× over 1h and 200.0× over 5m "
                   "(threshold 14.4×)")


P, K, O = Severity.PAGE, Severity.TICKET, Severity.OK  # noqa: E741
FLAP = timedelta(hours=4)
SEQUENCES = [
    # (severity found at each minute, visible severity after it, emails ('.' = none))
    ([P, P, O], "page page page", "burn_rate . ."),
    ([P] + [O] * 11, "page" + " page" * 10 + " ok", "burn_rate" + " ." * 10 + " burn_resolved"),
    ([K, P, K, O], "ticket page page page", "burn_rate_ticket burn_rate . ."),
    ([K] + [O] * 11, "ticket" + " ticket" * 10 + " ok",
     "burn_rate_ticket" + " ." * 10 + " burn_resolved"),
    # dipping under for less than CLEAR_AFTER keeps the page
    ([P, O, O, P, O], "page page page page page", "burn_rate . . . ."),
]


@pytest.mark.parametrize(("found", "states", "emails"), SEQUENCES)
def test_sequences(found: list[Severity], states: str, emails: str) -> None:
    st = BurnState("payments")
    got_states, got_emails = [], []
    for i, sev in enumerate(found):
        now = T0 + timedelta(minutes=i)
        apply_assessment(st, sev, "why", now)
        got_states.append(str(st.severity))
        kind = reconcile_burn(st, FLAP, True, now)
        got_emails.append(str(kind) if kind else ".")
    assert " ".join(got_states) == states
    assert " ".join(got_emails) == emails


def test_a_page_inside_the_flap_window_is_held_then_sent() -> None:
    st = BurnState("payments")
    now = T0
    apply_assessment(st, P, "why", now)
    assert reconcile_burn(st, FLAP, True, now) == "burn_rate"
    now += CLEAR_AFTER + timedelta(minutes=1)
    apply_assessment(st, O, "why", now - CLEAR_AFTER)
    apply_assessment(st, O, "why", now)
    assert reconcile_burn(st, FLAP, True, now) == "burn_resolved"
    now += timedelta(minutes=5)
    tr = apply_assessment(st, P, "again", now)
    assert tr is not None and (tr.from_severity, tr.to_severity) == (O, P)
    assert reconcile_burn(st, FLAP, True, now) is None  # held: flapping
    now = T0 + FLAP
    assert reconcile_burn(st, FLAP, True, now) == "burn_rate"


def test_no_resolved_email_when_send_resolved_is_off() -> None:
    st = BurnState("payments", severity=O, notified="ticket")
    assert reconcile_burn(st, FLAP, False, T0) is None
    assert st.notified is None


@pytest.mark.parametrize(("written", "fraction"), [
    ("99.9%", 0.999), ("99.95 %", 0.9995), (99.5, 0.995), (0.99, 0.99), ("0.999", 0.999),
])
def test_objective_forms(written: object, fraction: float) -> None:
    assert parse_objective(written) == pytest.approx(fraction)


@pytest.mark.parametrize("written", ["100%", "0%", "abc", True, "-5%", 150])
def test_objective_refused(written: object) -> None:
    with pytest.raises(ValueError, match=r"percentage|objective"):
        parse_objective(written)


def test_window_must_hold_the_ticket_window() -> None:
    with pytest.raises(ValueError, match="at least 3d"):
        SloSpec.model_validate({"objective": "99%", "window": "1d"})
