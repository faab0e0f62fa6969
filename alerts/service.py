"""AlertService: the alerting part of `seamwatch serve`.

- `on_results(results)` is called on the event loop after a batch of runs is committed; the
  evaluation (state machine, events, owed notices — one transaction) runs on a single worker
  thread, so batches are applied in the order they arrived. A batch whose transaction fails (a
  locked database) is retried with backoff, and later batches wait behind it: no run is skipped
  and none is applied twice (the in-memory state only advances when the transaction commits).
  What is still queued when a bounded `stop()` gives up is kept in `alerts.backlog`'s file and
  applied first at the next start.
- `tick()` does the time-driven work: maintenance windows opening and closing, reminders, held
  flapping alerts, grouping owed notices into outbox rows after each channel's `group_wait`, and
  delivering each channel's due rows in order, the channels side by side (one channel's failure
  or slowness never holds up another). `start()` runs it in a background loop.
- Delivery (`alerts/outbox_delivery.py`) is at-least-once: each row is claimed with a lease
  before it is sent, so of several runners sharing the database one sends it, and a sender that
  died mid-send is replaced after the lease, with the same Message-ID / webhook-id.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa

from alerts import backlog
from alerts.evaluator import AlertEvaluator, RunInput
from alerts.expiry import ExpiryWarnings
from alerts.outbox_delivery import OutboxDelivery
from alerts.outbox_state import ChannelHealth, DeliveryObserver
from alerts.repo import AlertRepo
from alerts.settings import AlertConfig, Settings
from alerts.slo_eval import BurnEvaluator
from alerts.state import ProbeState
from core.redact import Redactor
from probes.result import ProbeResult
from storage.database import Store

log = logging.getLogger("seamwatch.alerts")
T = TypeVar("T")
EVAL_BACKOFF_BASE_S = 0.05
EVAL_BACKOFF_CAP_S = 5.0


class _Batch(NamedTuple):
    runs: list[RunInput]
    future: asyncio.Future[int]
    queued_at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class EvaluationBacklog:
    """Committed batches whose alert evaluation is not applied yet (for `/healthz`)."""

    batches: int
    runs: int
    oldest_s: float | None
    last_error: str | None


def utcnow() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        store: Store,
        config: AlertConfig,
        *,
        redactor: Redactor,
        clock: Callable[[], datetime] = utcnow,
        tick_interval: float = 1.0,
        jitter: Callable[[], float] = random.random,
        backlog_path: Path | None = None,
        on_eval_error: Callable[[BaseException], None] | None = None,
        observer: DeliveryObserver | None = None,
        owner: str = "local",
        lease_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.redactor = redactor
        self.tick_interval = tick_interval
        self._jitter = jitter
        self._core = AlertEvaluator(store, redactor)
        self._burn = BurnEvaluator(store)
        self._expiry = ExpiryWarnings(store, redactor)
        self._settings = Settings.from_config(config)
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "seamwatch-alerts")
        self._queue: deque[_Batch] = deque()
        self._drain_task: asyncio.Task[None] | None = None
        self._give_up = asyncio.Event()
        self._backlog_path = backlog_path
        self._from_backlog = 0  # batches at the head of the queue read from the backlog file
        self._on_eval_error = on_eval_error  # called on every failed evaluation attempt
        self.last_eval_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._outbox = OutboxDelivery(
            self._core.repo, redactor, clock, self._db, jitter=jitter, observer=observer,
            owner=owner, lease_s=lease_s, stopping=lambda: self._stopping)
        self._tick_lock = asyncio.Lock()

    @property
    def repo(self) -> AlertRepo:
        return self._core.repo

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load persisted state and start the background loop (tick every `tick_interval`)."""
        self._stopping = False
        self._wake = asyncio.Event()
        self._load_backlog()
        await self._db(lambda: self._core.states)
        interrupted = await self._db(self._core.repo.count_interrupted)
        if interrupted:
            log.warning(
                "%d alert notice(s) are being sent, or were when a runner stopped; one whose "
                "sender stopped is sent again once its lease passes, with the same Message-ID / "
                "webhook-id (a recipient may see a duplicate)", interrupted,
            )
        self._task = asyncio.create_task(self._loop(), name="seamwatch-alerts")

    async def stop(self, timeout: float | None = None) -> int:
        """Finish evaluations already submitted and an in-flight SMTP send; leave the rest
        queued in the outbox for the next start. With `timeout`, stop retrying a failing
        evaluation after that many seconds (plus the attempt in progress, which the store's
        busy/lock timeout bounds) and keep the batches not applied for the next start. Returns
        the number of runs whose evaluation was left for the next start."""
        deadline = None if timeout is None else time.monotonic() + timeout
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._drain_task is not None:
            done, _ = await asyncio.wait({self._drain_task}, timeout=timeout)
            if not done:
                self._give_up.set()
                await self._drain_task
        left = self._save_backlog()
        if self._task is not None:
            rest = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = await asyncio.wait({self._task}, timeout=rest)
            if not done:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        self._executor.shutdown(wait=True)
        return left

    def _load_backlog(self) -> None:
        path = self._backlog_path
        if path is None or self._from_backlog:
            return
        batches = backlog.load(path)
        if not batches:
            path.unlink(missing_ok=True)
            return
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        for runs in reversed(batches):
            future: asyncio.Future[int] = loop.create_future()
            self._queue.appendleft(_Batch(list(runs), future, now))
        self._from_backlog = len(batches)
        log.warning("applying the alert evaluation of %d run(s) left in %s by the last stop",
                    sum(len(b) for b in batches), path)
        self._ensure_drain()

    def _save_backlog(self) -> int:
        """Keep the batches not applied for the next start; returns their number of runs."""
        left = list(self._queue)
        self._queue.clear()
        for batch in left:
            batch.future.cancel()
        if not left:
            return 0
        runs = sum(len(b.runs) for b in left)
        if self._backlog_path is None:
            log.error("stopped with the alert evaluation of %d run(s) not applied", runs)
            return runs
        try:
            backlog.save(self._backlog_path, [b.runs for b in left])
        except OSError as exc:
            log.error("stopped with the alert evaluation of %d run(s) not applied; cannot keep "
                      "them in %s: %s", runs, self._backlog_path, exc)
            return runs
        log.warning("alert evaluation of %d run(s) kept in %s for the next start", runs,
                    self._backlog_path)
        return runs

    def reload(self, config: AlertConfig) -> None:
        self._settings = Settings.from_config(config)
        self._outbox.forget_channels()  # a changed channel gets a fresh start (a disabled one too)

    async def _loop(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            try:
                await self.tick()
            except Exception:
                log.exception("alert tick failed; retrying")
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.tick_interval)
            self._wake.clear()

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    # -- evaluation ----------------------------------------------------------------------------

    def on_results(self, results: Sequence[RunInput]) -> asyncio.Future[int]:
        """Queue a committed batch for evaluation off the event loop (in submission order,
        retried until it is applied). The returned future (which callers may ignore) resolves
        to the number of notices owed once the batch is applied."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        if any((r if isinstance(r, ProbeResult) else r.result).expiries for r in results):
            self._expiry.seen_new()  # committed with the batch: look at them on the next tick
        self._queue.append(_Batch(list(results), future, time.monotonic()))
        self._ensure_drain()
        return future

    def backlog(self) -> EvaluationBacklog:
        oldest = self._queue[0].queued_at if self._queue else None
        return EvaluationBacklog(
            batches=len(self._queue), runs=sum(len(b.runs) for b in self._queue),
            oldest_s=None if oldest is None else time.monotonic() - oldest,
            last_error=self.last_eval_error,
        )

    def _ensure_drain(self) -> None:
        if self._drain_task is None or self._drain_task.done():
            self._drain_task = asyncio.create_task(self._drain(), name="seamwatch-alert-eval")

    async def _drain(self) -> None:
        """Apply queued batches in order; a failing one is retried (with backoff) before any
        later one, until it commits or a bounded stop gives up."""
        attempt = 0
        while self._queue and not self._give_up.is_set():
            head = self._queue[0]
            try:
                owed = await self._db(self.evaluate, head.runs)
            except Exception as exc:
                attempt += 1
                self.last_eval_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
                log.warning("alert evaluation of %d run(s) failed (attempt %d, %d batch(es) "
                            "waiting): %s; retrying", len(head.runs), attempt, len(self._queue),
                            self.last_eval_error,
                            exc_info=attempt == 1 and not isinstance(exc, sa.exc.DBAPIError))
                if self._on_eval_error is not None:
                    self._on_eval_error(exc)
                delay = min(EVAL_BACKOFF_CAP_S, EVAL_BACKOFF_BASE_S * 2 ** min(attempt - 1, 10))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._give_up.wait(), delay)
                continue
            attempt = 0
            self.last_eval_error = None
            self._queue.popleft()
            self._applied_from_backlog()
            if not head.future.done():
                head.future.set_result(owed)
            if owed and self._wake is not None:
                self._wake.set()

    def _applied_from_backlog(self) -> None:
        if self._from_backlog:
            self._from_backlog -= 1
            if not self._from_backlog and self._backlog_path is not None:
                self._backlog_path.unlink(missing_ok=True)

    def evaluate(self, results: Sequence[RunInput]) -> int:
        """Synchronous evaluation (the worker thread's job; also used by tests and the bench)."""
        return self._core.evaluate(self._settings, results, self.clock())

    def states(self) -> dict[tuple[str, str], ProbeState]:
        return dict(self._core.states)

    # -- time-driven work ----------------------------------------------------------------------

    def _timed_and_flush(self) -> int:
        """Rows queued (0 also when another runner holds the alert lock and does it). The SLO
        and expiry passes take the same lock in their own transactions (docs/runners.md,
        "One evaluator")."""
        now = self.clock()
        self._burn.maybe_evaluate(self._settings, now)
        self._expiry.maybe_evaluate(self._settings, now)
        return self._core.tick(self._settings, now) or 0

    async def tick(self) -> None:
        """One pass of time-driven work; concurrent calls run one after the other."""
        async with self._tick_lock:
            await self._db(self._timed_and_flush)
            await self._deliver()

    async def _deliver(self) -> int:
        return await self._outbox.deliver(self._settings.alerting)

    def channel_health(self) -> list[ChannelHealth]:
        """Every configured channel's delivery state (for `/metrics` and `/healthz`)."""
        return self._outbox.health(self._settings.alerting)

    @property
    def lease_s(self) -> float:
        return self._outbox.lease_s
