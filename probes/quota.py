"""Rate-limit forecasts: when will a quota run out, and is that before it resets?

A quota is one integration's rate-limit policy (its name, or "" when the server gives none). Its
samples are what the responses reported (`RateLimit`, probes/http/ratelimit.py) with the time they
were seen. The *current window* is the run of samples since the quota last reset: a jump up in
`remaining`, a changed limit, a reset time that moved, or a sample after the previous reset time
starts a new one. Within the window the consumption rate is the least-squares slope of `remaining`
over time (PromQL's `predict_linear`), and the predicted exhaustion is where that line reaches 0.
At least `MIN_SAMPLES` samples are needed; fewer give no forecast.

Probes spend quota too: `own_share` is seamwatch's requests in the window over the quota used in
it (each sample after the first is one request of ours; none counts once the quota is at 0).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MIN_SAMPLES = 3
# How a run degraded by a forecast starts its reason (probes/run.py); the alert state machine
# tells a QUOTA notice from a DEGRADED one by it (alerts/state.py).
FORECAST_REASON = "rate-limit quota"
RESET_TOLERANCE_S = 2.0  # delta-second resets, anchored on our clock, wobble by a second
_KEPT = 512  # samples kept per quota (a window longer than this is forecast from its tail)


@dataclass(frozen=True, slots=True)
class QuotaSample:
    at_s: float  # epoch seconds
    remaining: int
    limit: int | None = None
    reset_at_s: float | None = None  # epoch seconds


@dataclass(frozen=True, slots=True)
class QuotaForecast:
    policy: str
    samples: int  # in the current window
    window_start_s: float
    remaining: int
    limit: int | None
    rate_per_s: float  # quota consumed per second (0 when not consuming)
    exhausted_at_s: float | None  # where the fitted line reaches 0; None when not consuming
    reset_at_s: float | None
    own_share: float | None  # seamwatch's share of the quota used in the window, 0..1

    @property
    def runs_out_before_reset(self) -> bool:
        if self.exhausted_at_s is None:
            return False
        return self.reset_at_s is None or self.exhausted_at_s < self.reset_at_s

    def runs_out_within(self, now_s: float, within_s: float) -> bool:
        """Predicted to run out before it resets, and within `within_s` of `now_s`."""
        return (
            self.runs_out_before_reset
            and self.exhausted_at_s is not None
            and self.exhausted_at_s - now_s <= within_s
        )


def starts_new_window(previous: QuotaSample, sample: QuotaSample) -> bool:
    if sample.remaining > previous.remaining or sample.limit != previous.limit:
        return True
    if previous.reset_at_s is not None and sample.at_s >= previous.reset_at_s:
        return True
    if (previous.reset_at_s is None) != (sample.reset_at_s is None):
        return True
    return (
        previous.reset_at_s is not None
        and sample.reset_at_s is not None
        and abs(sample.reset_at_s - previous.reset_at_s) > RESET_TOLERANCE_S
    )


def current_window(samples: Sequence[QuotaSample]) -> Sequence[QuotaSample]:
    """The samples since the quota last reset (samples in time order)."""
    start = 0
    for i in range(1, len(samples)):
        if starts_new_window(samples[i - 1], samples[i]):
            start = i
    return samples[start:]


def _slope_and_intercept(window: Sequence[QuotaSample]) -> tuple[float, float]:
    """Least squares of remaining over time, centred on the first sample for precision."""
    t0 = window[0].at_s
    n = len(window)
    mean_t = sum(s.at_s - t0 for s in window) / n
    mean_r = sum(s.remaining for s in window) / n
    var = sum((s.at_s - t0 - mean_t) ** 2 for s in window)
    if var == 0:
        return 0.0, mean_r
    cov = sum((s.at_s - t0 - mean_t) * (s.remaining - mean_r) for s in window)
    slope = cov / var
    return slope, mean_r - slope * (mean_t + t0)


def forecast(policy: str, samples: Sequence[QuotaSample]) -> QuotaForecast | None:
    """The forecast for one quota from its samples in time order, or None with too few."""
    window = current_window(samples)
    if len(window) < MIN_SAMPLES:
        return None
    slope, intercept = _slope_and_intercept(window)
    first, last = window[0], window[-1]
    consuming = slope < 0
    used = first.remaining - last.remaining
    # our requests that could spend quota (after an exhausted sample they are refused)
    ours = sum(1 for i in range(1, len(window)) if window[i - 1].remaining > 0)
    return QuotaForecast(
        policy=policy,
        samples=len(window),
        window_start_s=first.at_s,
        remaining=last.remaining,
        limit=last.limit,
        rate_per_s=-slope if consuming else 0.0,
        exhausted_at_s=max(last.at_s, -intercept / slope) if consuming else None,
        reset_at_s=last.reset_at_s,
        own_share=min(1.0, ours / used) if used > 0 else None,
    )


class QuotaTracker:
    """The recent samples of one integration's quotas, kept by its runtime across runs."""

    def __init__(self) -> None:
        self._samples: dict[str, deque[QuotaSample]] = {}

    def observe(self, policy: str, sample: QuotaSample) -> None:
        kept = self._samples.get(policy)
        if kept is None:
            kept = self._samples[policy] = deque(maxlen=_KEPT)
        if kept and sample.at_s < kept[-1].at_s:  # concurrent probes finish out of order
            position = next(i for i, s in enumerate(kept) if s.at_s > sample.at_s)
            if len(kept) < _KEPT:
                kept.insert(position, sample)
            return
        kept.append(sample)

    def forecast(self, policy: str) -> QuotaForecast | None:
        kept = self._samples.get(policy)
        return forecast(policy, list(kept)) if kept else None

    def forecasts(self, policies: Iterable[str]) -> list[QuotaForecast]:
        return [f for f in (self.forecast(p) for p in policies) if f is not None]
