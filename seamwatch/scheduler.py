"""One APScheduler 3 job per probe.

Start times are spread over each probe's interval by a stable hash of its key, so 1,000 probes
with a 60 s interval start ~17 per second instead of all at once. The phase is counted from the
Unix epoch, not from the start of the process: a restart keeps the same start times, and so do
all runners sharing a location, so a probe handed from one runner to another runs in the same
slots (docs/runners.md). `coalesce` folds missed fires into one, `max_instances=1` never
overlaps a probe with itself, and a fire later than half an interval is skipped (counted as
missed) rather than run late.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

RunCallback = Callable[[str, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ScheduledProbe:
    key: str  # "integration/probe"
    interval_s: float


def phase_offset(key: str, interval_s: float) -> float:
    """A stable offset in [0, interval) derived from the probe key."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") % 1_000_000) / 1_000_000 * interval_s


def first_slot(probe: ScheduledProbe, now: datetime) -> datetime:
    """The first start at or after `now`: epoch + phase + k × interval."""
    phase = phase_offset(probe.key, probe.interval_s)
    wait = (phase - now.timestamp()) % probe.interval_s
    return now + timedelta(seconds=wait)


class _LoopScheduler(AsyncIOScheduler):
    """APScheduler's asyncio scheduler, with its timer running the due jobs directly. The stock
    timer calls `wakeup`, which is made safe to call from any thread by posting itself back to
    the loop with `call_soon_threadsafe`: a write to the loop's self-pipe, a read, and one more
    pass of the loop for every fire. The timer already runs on the loop thread. (`wakeup` itself,
    called when jobs are added or changed, keeps its thread-safe hop.)"""

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._stop_timer()
        if wait_seconds is not None:
            self._timeout = self._eventloop.call_later(wait_seconds, self._on_timer)

    def _on_timer(self) -> None:
        self._stop_timer()
        self._start_timer(self._process_jobs())


class ProbeScheduler:
    def __init__(self, run: RunCallback, on_missed: Callable[[], None] | None = None) -> None:
        self._run = run
        self._on_missed_hook = on_missed
        self._scheduler = _LoopScheduler(timezone=UTC)
        self._intervals: dict[str, float] = {}
        self.missed = 0
        self._scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def _on_missed(self, event: JobExecutionEvent) -> None:
        self.missed += 1
        if self._on_missed_hook is not None:
            self._on_missed_hook()
        log.warning("probe %s missed a scheduled run (%s)", event.job_id,
                    "still running" if event.code == EVENT_JOB_MAX_INSTANCES else "ran too late")

    @property
    def keys(self) -> set[str]:
        return set(self._intervals)

    def start(self) -> None:
        self._scheduler.start()

    def pause(self) -> None:
        """Stop firing new runs; runs in flight carry on (await them, then `shutdown`)."""
        if self._scheduler.running:
            self._scheduler.pause()

    def shutdown(self) -> None:
        """Stop the scheduler. APScheduler cancels the runs still in flight, so `pause` and
        await them first for a graceful stop."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def sync(self, probes: Iterable[ScheduledProbe], now: datetime | None = None) -> None:
        """Make the job set match `probes`: add new, reschedule changed intervals, drop removed."""
        now = now or datetime.now(UTC)
        wanted = {p.key: p for p in probes}
        for key in set(self._intervals) - set(wanted):
            self._scheduler.remove_job(key)
            del self._intervals[key]
        for key, probe in wanted.items():
            if self._intervals.get(key) == probe.interval_s:
                continue
            trigger = self._trigger(probe, now)
            if key in self._intervals:
                self._scheduler.reschedule_job(key, trigger=trigger)
            else:
                self._scheduler.add_job(
                    self._fire, trigger=trigger, args=(key,), id=key, name=key,
                    coalesce=True, max_instances=1,
                    misfire_grace_time=max(1, int(probe.interval_s / 2)),
                )
            self._intervals[key] = probe.interval_s

    @staticmethod
    def _trigger(probe: ScheduledProbe, now: datetime) -> IntervalTrigger:
        return IntervalTrigger(seconds=probe.interval_s, start_date=first_slot(probe, now),
                               timezone=UTC)

    async def _fire(self, key: str) -> None:
        job = self._scheduler.get_job(key)
        # next_run_time has already advanced by one interval when the job runs.
        scheduled = (
            job.next_run_time - timedelta(seconds=self._intervals[key])
            if job is not None and job.next_run_time is not None
            else datetime.now(UTC)
        )
        await self._run(key, scheduled)
