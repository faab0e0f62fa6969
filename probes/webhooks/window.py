"""Passive webhook health: what arrived at one endpoint lately (a bounded sliding window of
receipts), read by the `heartbeat` kind's scheduled runs (probes/kinds/heartbeat.py)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from core.types import format_duration

MAX_RECEIPTS = 4096  # per endpoint: a flood costs bounded memory (older receipts drop out)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # authentic, but its delivery id arrived before
    REJECTED = "rejected"  # signature (or timestamp) check failed


@dataclass(frozen=True, slots=True)
class WindowStats:
    seconds: float
    deliveries: int  # authentic, duplicates included
    duplicates: int
    signature_failures: int
    lag_max_s: float | None  # receive time - signed timestamp, where the scheme signs one

    @property
    def failure_ratio(self) -> float:
        total = self.deliveries + self.signature_failures
        return self.signature_failures / total if total else 0.0

    def summary(self) -> str:
        text = (f"last {format_duration(self.seconds)}: {self.deliveries} deliveries, "
                f"{self.duplicates} duplicate(s), {self.signature_failures} signature "
                "failure(s)")
        if self.lag_max_s is not None:
            text += f", lag up to {format_duration(max(0.0, self.lag_max_s))}"
        return text


class ReceiptWindow:
    """Receipts of one endpoint as (monotonic time, outcome, lag seconds). Not thread-safe: the
    owner (probes/heartbeats.py) holds its lock."""

    __slots__ = ("_receipts",)

    def __init__(self) -> None:
        self._receipts: deque[tuple[float, Outcome, float | None]] = deque(maxlen=MAX_RECEIPTS)

    def add(self, at: float, outcome: Outcome, lag_s: float | None = None) -> None:
        self._receipts.append((at, outcome, lag_s))

    def stats(self, now: float, seconds: float) -> WindowStats:
        since = now - seconds
        while self._receipts and self._receipts[0][0] < since - seconds:
            self._receipts.popleft()  # twice the window: a longer read may still come
        counts = dict.fromkeys(Outcome, 0)
        lags = []
        for at, outcome, lag in self._receipts:
            if at >= since:
                counts[outcome] += 1
                if lag is not None and outcome is not Outcome.REJECTED:
                    lags.append(lag)
        return WindowStats(
            seconds, counts[Outcome.ACCEPTED] + counts[Outcome.DUPLICATE],
            counts[Outcome.DUPLICATE], counts[Outcome.REJECTED], max(lags, default=None))
