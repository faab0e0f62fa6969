"""One channel's delivery state in the `serve` process: its backoff, its failure (logged once
per change, not once per attempt), whether a receiver disabled it, and the counts `/metrics`
shows (docs/alerts.md, "Delivery: the outbox").

A transient failure backs the whole channel off (exponential with jitter, 5s to 5 minutes, or
the receiver's `Retry-After`), so its rows stay in order; other channels are not affected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

log = logging.getLogger("seamwatch.alerts")
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 300.0


class DeliveryObserver(Protocol):
    """What the process's metrics implement (seamwatch/metrics.py)."""

    def notice_sent(self, channel: str) -> None: ...
    def notice_failed(self, channel: str) -> None: ...
    def channel_status(self, channel: str, status: str) -> None: ...


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    name: str
    type: str
    status: str  # ok | failing | disabled
    error: str | None
    retry_at: datetime | None
    sent: int
    failed: int


class DeliveryState:
    def __init__(
        self, name: str, jitter: Callable[[], float], observer: DeliveryObserver | None
    ) -> None:
        self.name = name
        self._jitter = jitter
        self._observer = observer
        self.failures = 0
        self.retry_at: datetime | None = None
        self.error: str | None = None
        self.disabled: str | None = None
        self.sent = 0
        self.failed_rows = 0
        self._reported: tuple[str, str | None] = ("ok", None)
        if observer is not None:
            observer.channel_status(name, "ok")

    @property
    def status(self) -> str:
        if self.disabled is not None:
            return "disabled"
        return "failing" if self.error is not None else "ok"

    def health(self) -> tuple[str, str | None, datetime | None, int, int]:
        return self.status, self.disabled or self.error, self.retry_at, self.sent, self.failed_rows

    def _report(self) -> None:
        """Log and publish a change of status or error (not every retry of the same one)."""
        now = (self.status, self.disabled or self.error)
        if now == self._reported:
            return
        self._reported = now
        if self._observer is not None:
            self._observer.channel_status(self.name, now[0])
        if now[0] == "ok":
            log.info("alert channel %s delivers again", self.name)
        elif now[0] == "disabled":
            log.error("alert channel %s disabled: %s", self.name, now[1])
        else:
            log.warning("alert channel %s failing (retrying with backoff): %s", self.name, now[1])

    def backoff(self) -> timedelta:
        base = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, self.failures - 1))
        return timedelta(seconds=base * (0.5 + 0.5 * self._jitter()))

    def failed(self, now: datetime, error: str, retry_after: float | None = None) -> datetime:
        """A transient failure: when to try the channel again."""
        self.failures += 1
        wait = timedelta(seconds=retry_after) if retry_after is not None else self.backoff()
        self.retry_at = now + wait
        self.error = error
        self._report()
        return self.retry_at

    def succeeded(self) -> None:
        self.failures = 0
        self.retry_at = None
        self.error = None
        self._report()

    def disable(self, error: str) -> None:
        self.disabled = error
        self._report()

    def count_sent(self) -> None:
        self.sent += 1
        if self._observer is not None:
            self._observer.notice_sent(self.name)

    def count_failed(self) -> None:
        self.failed_rows += 1
        if self._observer is not None:
            self._observer.notice_failed(self.name)
