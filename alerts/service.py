"""AlertService: the alerting part of `seamwatch serve`.

- `on_results(results)` is called on the event loop after a batch of runs is committed; the
  evaluation (state machine, events, owed notices — one transaction) runs on a single worker
  thread, so batches are applied in the order they arrived.
- `tick()` does the time-driven work: maintenance windows opening and closing, reminders, held
  flapping alerts, grouping owed notices into outbox emails after `group_wait`, and delivering
  due outbox rows in order over one SMTP connection. `start()` runs it in a background loop.
- Delivery is at-least-once. A row is marked `sending` before the SMTP transaction and `sent`
  after it; a row found in `sending` (the process died between the two) is sent again with the
  same Message-ID and an incremented `X-Seamwatch-Attempt` header, so mail clients and filters
  can recognise the duplicate. A connection-level failure backs off (exponential, with jitter)
  for the whole queue, which keeps emails in order; a message refused for good (5xx) is marked
  `failed` at once; a row older than `email.max_age` is marked `failed` and logged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, TypeVar

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
    ) -> None:
        self.clock = clock
        self.redactor = redactor
        self.tick_interval = tick_interval
        self._jitter = jitter
        self._core = AlertEvaluator(store, redactor)
        self._settings = Settings.from_config(config)
        self._executor = concurrent.futures.ThreadPoolExecutor(1, "seamwatch-alerts")
        self._inflight: set[asyncio.Future[Any]] = set()
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
        await self._db(lambda: self._core.states)
        interrupted = await self._db(self._core.repo.count_interrupted)
        if interrupted:
            log.warning(
                "%d alert email(s) were being sent when seamwatch stopped; they will be sent "
                "again with the same Message-ID (a recipient may see a duplicate)", interrupted,
            )
        self._task = asyncio.create_task(self._loop(), name="seamwatch-alerts")

    async def stop(self) -> None:
        """Finish evaluations already submitted and an in-flight SMTP send; leave the rest
        queued in the outbox for the next start."""
        self._stopping = True
        if self._wake is not None:
            self._wake.set()
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        if self._task is not None:
            await self._task
            self._task = None
        self._executor.shutdown(wait=True)

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
        """Evaluate a committed batch off the event loop (in submission order). The returned
        future (which callers may ignore) resolves to the number of notices owed."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self.evaluate, list(results))
        self._inflight.add(future)
        future.add_done_callback(self._evaluated)
        return future

    def _evaluated(self, future: asyncio.Future[int]) -> None:
        self._inflight.discard(future)
        if future.cancelled():
            return
        if future.exception() is not None:
            log.error("alert evaluation failed", exc_info=future.exception())
        elif future.result() and self._wake is not None:
            self._wake.set()

    def evaluate(self, results: Sequence[RunInput]) -> int:
        """Synchronous evaluation (the worker thread's job; also used by tests and the bench)."""
        return self._core.evaluate(self._settings, results, self.clock())

    def states(self) -> dict[tuple[str, str], ProbeState]:
        return dict(self._core.states)

    # -- time-driven work ----------------------------------------------------------------------

    def _timed_and_flush(self) -> int:
        now = self.clock()
        self._core.timed(self._settings, now)
        return self._core.flush(self._settings, now)

    async def tick(self) -> None:
        """One pass of time-driven work; concurrent calls run one after the other."""
        async with self._tick_lock:
            await self._db(self._timed_and_flush)
            await self._deliver()

    def _backoff(self) -> timedelta:
        base = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, self._smtp_failures - 1))
        return timedelta(seconds=base * (0.5 + 0.5 * self._jitter()))

    async def deliver(self) -> int:
        """Send due outbox rows in order (only); returns how many were sent."""
        async with self._tick_lock:
            return await self._deliver()

    async def _deliver(self) -> int:
        email = self._settings.email
        now = self.clock()
        if email is None or (self._smtp_retry_at is not None and now < self._smtp_retry_at):
            return 0
        rows = await self._db(self._core.repo.due_outbox, now)
        max_age = timedelta(seconds=email.max_age)
        live: list[OutboxRow] = []
        for row in rows:
            if now - row.created_at > max_age:
                error = f"gave up after {row.attempts} attempt(s): older than email.max_age"
                log.error("alert email %s (%s) failed: %s", row.message_id, row.subject, error)
                await self._db(self._core.repo.mark_failed, row, error)
            else:
                live.append(row)
        if not live:
            return 0
        sent = 0
        current: OutboxRow | None = None
        attempted = False
        try:
            async with SmtpSession(email.smtp, self.redactor) as session:
                for row in live:
                    if self._stopping:
                        break
                    current, attempted = row, False
                    if row.status == "sending":
                        log.warning("re-sending interrupted alert email %s", row.message_id)
                    await self._db(self._core.repo.mark_sending, row)
                    attempted = True
                    try:
                        await session.send(self._message(row), self._envelope(row))
                    except EmailDeliveryError as exc:
                        if not exc.permanent:
                            raise
                        log.error("alert email %s refused: %s", row.message_id, exc)
                        await self._db(self._core.repo.mark_failed, row, str(exc))
                        continue
                    await self._db(self._core.repo.mark_sent, row, self.clock())
                    sent += 1
        except EmailDeliveryError as exc:
            self._smtp_failures += 1
            retry_at = now + self._backoff()
            self._smtp_retry_at = retry_at
            head = current or live[0]
            await self._db(self._core.repo.mark_retry, head, str(exc), retry_at, not attempted)
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
