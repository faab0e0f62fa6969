"""Rate-limit forecasts (probes/quota.py): windows, the least-squares rate, exhaustion vs reset."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from probes.quota import QuotaSample, QuotaTracker, current_window, forecast

T = 1_700_000_000.0


def drain(remaining: list[int], *, every: float = 10.0, limit: int | None = 100,
          reset_at: float | None = T + 3600) -> list[QuotaSample]:
    return [QuotaSample(T + i * every, r, limit, reset_at) for i, r in enumerate(remaining)]


@pytest.mark.parametrize(("samples", "window_start"), [
    (drain([90, 80, 70]), 0),
    (drain([90, 80, 100, 90, 80]), 2),  # remaining jumped up: the quota reset
    ([*drain([90, 80]), QuotaSample(T + 20, 70, 200, T + 3600)], 2),  # the limit changed
    ([*drain([90, 80]), QuotaSample(T + 20, 70, 100, T + 7200)], 2),  # the reset moved
    ([*drain([90, 80]), QuotaSample(T + 20, 70, 100, T + 3601.5)], 0),  # a second of wobble
    (drain([90, 80, 70], every=2000.0), 2),  # a sample after the previous reset time
    ([*drain([90, 80]), QuotaSample(T + 20, 70, 100, None)], 2),  # reset no longer reported
])
def test_current_window(samples: list[QuotaSample], window_start: int) -> None:
    assert list(current_window(samples)) == samples[window_start:]


@pytest.mark.parametrize(("samples", "expected"), [
    # (rate per s, exhausted at (s after T) or None, runs out before reset)
    (drain([90, 80, 70]), (1.0, 90.0, True)),
    (drain([90, 80, 70], reset_at=T + 60), (1.0, 90.0, False)),  # resets first
    (drain([90, 80, 70], reset_at=None), (1.0, 90.0, True)),  # no reset known
    (drain([50, 50, 50]), (0.0, None, False)),  # not consuming
    (drain([90, 89, 70, 69]), (0.82, None, True)),  # bursty: the fitted line, not the last step
])
def test_forecast(samples: list[QuotaSample],
                  expected: tuple[float, float | None, bool]) -> None:
    rate, exhausted_after, before_reset = expected
    result = forecast("core", samples)
    assert result is not None
    assert result.rate_per_s == pytest.approx(rate)
    if exhausted_after is not None:
        assert result.exhausted_at_s == pytest.approx(T + exhausted_after)
    else:
        assert (result.exhausted_at_s is None) == (rate == 0)
    assert result.runs_out_before_reset is before_reset
    assert result.policy == "core" and result.remaining == samples[-1].remaining


def test_too_few_samples_give_no_forecast() -> None:
    assert forecast("", drain([90, 80])) is None
    assert forecast("", drain([90, 80, 100, 90])) is None  # two in the current window


def test_runs_out_within() -> None:
    result = forecast("", drain([90, 80, 70]))  # runs out at T+90, resets at T+3600
    assert result is not None
    assert result.runs_out_within(T + 30, within_s=60)
    assert not result.runs_out_within(T + 20, within_s=60)


def test_own_share_is_our_requests_over_quota_used() -> None:
    mine = forecast("", drain([90, 89, 88, 87]))  # every request used was ours
    shared = forecast("", drain([90, 80, 70, 60]))  # 3 of ours in 30 used
    assert mine is not None and mine.own_share == 1.0
    assert shared is not None and shared.own_share == pytest.approx(0.1)


def test_tracker_keeps_quotas_apart_and_orders_late_samples() -> None:
    tracker = QuotaTracker()
    for sample in drain([90, 80, 70]):
        tracker.observe("core", sample)
    for sample in drain([900, 899]):
        tracker.observe("search", sample)
    late = QuotaSample(T + 5, 85, 100, T + 3600)
    tracker.observe("core", late)  # finished after the T+10 run
    core = tracker.forecast("core")
    assert core is not None and core.samples == 4
    assert tracker.forecast("search") is None
    assert [f.policy for f in tracker.forecasts(["search", "core", "other"])] == ["core"]


@given(st.lists(st.integers(0, 10_000), min_size=3, max_size=60))
def test_forecast_is_total_and_sane(remaining: list[int]) -> None:
    result = forecast("", drain(sorted(remaining, reverse=True)))
    assert result is not None
    assert result.rate_per_s >= 0
    if result.exhausted_at_s is not None:
        assert result.exhausted_at_s >= T + 10 * (len(remaining) - 1)
