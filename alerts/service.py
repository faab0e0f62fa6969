"""AlertService: the alerting part of `seamwatch serve`.

- `on_results(results)` is called on the event loop after a batch of runs is committed; the
  evaluation (state machine, events, owed notices — one transaction) runs on a single worker
  thread, so batches are applied in the order they arrived. A batch whose transaction fails (a
  locked database) is retried with backoff, and later batches wait behind it: no run is skipped
  and none is applied twice (the in-memory state only advances when the transaction commits).
  What is still queued when a bounded `stop()` gives up is kept in `alerts.backlog`'s file and
  applied first at the next start.
- `tick()` does the time-driven work: maintenance windows opening and closing, reminders, held
  flapping alerts, grouping owed notices into outbox emails after `group_wait`, and delivering
  due outbox rows in order over one SMTP connection. `start()` runs it in a background loop.
- Delivery is at-least-once. A row is claimed (`sending`, with this runner's id and a lease
  of `lease_s`) before the SMTP transaction and marked `sent` after it; a row still `sending`
  after its lease (its sender died between the two) is claimed by any runner and sent again
  with the same Message-ID and an incremented `X-Seamwatch-Attempt` header, so mail clients and
  filters can recognise the duplicate. The claim is atomic, so of several runners sharing the
  database one sends each row (docs/runners.md). A connection-level failure backs off
  (exponential, with jitter) for the whole queue, which keeps emails in order; a message refused
  for good (5xx) is marked `failed` at once; a row older than `email.max_age` is marked `failed`
  and logged.
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
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa

from alerts import backlog
from alerts.evaluator import AlertEvaluator, RunInput
from alerts.message import build_email
from alerts.repo import AlertRepo, OutboxRow
from alerts.settings import AlertConfig, Settings
from alerts.smtp import EmailDeliveryError, SmtpSession
from alerts.state import ProbeState
from core.redact import Redactor
from storage.database import Store

log = logging.getLogger("seamwatch.alerts")
T = TypeVar("T")
BACKOFF_BASE_S = 5.0
BACKOFF_CAP_S = 300.0
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
        owner: str = "local",
        lease_s: float = 30.0,
    ) -> None:
        self.clock = clock
        self.owner = owner  # who claims outbox rows (the runner's id)
        self.lease_s = lease_s  # how long a claimed row is ours before another runner may send
        self.redactor = redactor
        self.tick_interval = tick_interval
        self._jitter = jitter
        self._core = AlertEvaluator(store, redactor)
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
        self._smtp_failures = 0
        self._smtp_retry_at: datetime | None = None
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
                "%d alert email(s) are being sent, or were when a runner stopped; one whose "
                "sender stopped is sent again once its lease passes, with the same Message-ID "
                "(a recipient may see a duplicate)", interrupted,
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
        self._smtp_retry_at = None
        self._smtp_failures = 0

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
        """Emails queued (0 also when another runner holds the alert lock and does it)."""
        return self._core.tick(self._settings, self.clock()) or 0

    async def tick(self) -> None:
        """One pass of time-driven work; concurrent calls run one after the other."""
        async with self._tick_lock:
            await self._db(self._timed_and_flush)
            await self._deliver()

    def _backoff(self) -> timedelta:
        base = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, self._smtp_failures - 1))
        return timedelta(seconds=base * (0.5 + 0.5 * self._jitter()))

    async def _deliver(self) -> int:
        """Send due outbox rows, one claimed at a time (docs/runners.md, "One sender")."""
        email = self._settings.email
        now = self.clock()
        if email is None or (self._smtp_retry_at is not None and now < self._smtp_retry_at):
            return 0
        for old in await self._db(self._core.repo.expire_outbox,
                                  now - timedelta(seconds=email.max_age)):
            log.error("alert email %s (%s) failed: gave up after %d attempt(s): older than "
                      "email.max_age", old.message_id, old.subject, old.attempts)
        if not await self._db(self._core.repo.any_deliverable, self.clock()):
            return 0
        sent = 0
        row: OutboxRow | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                session: SmtpSession | None = None
                while not self._stopping:
                    row = await self._db(self._core.repo.claim_next, self.clock(), self.owner,
                                         self.lease_s)
                    if row is None:
                        break
                    if session is None:
                        session = await stack.enter_async_context(
                            SmtpSession(email.smtp, self.redactor))
                    if row.interrupted:
                        log.warning("re-sending alert email %s, whose sender stopped mid-send",
                                    row.message_id)
                    try:
                        await session.send(self._message(row), self._envelope(row))
                    except EmailDeliveryError as exc:
                        if not exc.permanent:
                            raise
                        log.error("alert email %s refused: %s", row.message_id, exc)
                        await self._db(self._core.repo.mark_failed, row, str(exc))
                        row = None
                        continue
                    await self._db(self._core.repo.mark_sent, row, self.clock())
                    sent += 1
                    row = None
        except EmailDeliveryError as exc:
            self._smtp_failures += 1
            retry_at = now + self._backoff()
            self._smtp_retry_at = retry_at
            if row is not None:
                await self._db(self._core.repo.mark_retry, row, str(exc), retry_at)
            log.warning("alert email delivery failed (retry at %s): %s", retry_at, exc)
            return sent
        self._smtp_failures = 0
        self._smtp_retry_at = None
        return sent

    def _envelope(self, row: OutboxRow) -> list[str]:
        return [parseaddr(r)[1] or r for r in row.recipients]

    def _message(self, row: OutboxRow) -> Any:
        email = self._settings.email
        assert email is not None
        return build_email(
            from_=email.from_, to=row.recipients, subject=row.subject, text=row.text_body,
            html=row.html_body, message_id=row.message_id, date=row.created_at,
            headers={"X-Seamwatch-Kind": row.kind, "X-Seamwatch-Attempt": str(row.attempts)},
        )
