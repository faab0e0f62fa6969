"""Delivering the outbox (docs/alerts.md, "Delivery: the outbox"): each channel's due rows in
order, the channels side by side, so a slow or failing channel never holds up another.

A row is claimed (`sending`, with this runner's id and a lease of `lease_s`) before it is sent
and marked `sent` after; a row still `sending` after its lease (its sender died between the two)
is claimed by any runner and sent again with the same id (Message-ID with an incremented
`X-Seamwatch-Attempt` header, webhook-id), so receivers can recognise the duplicate. The claim
is atomic, so of several runners sharing the database one sends each row (docs/runners.md,
"One sender"). A transient failure backs that channel off (exponential with jitter, or the
receiver's Retry-After: `alerts.outbox_state`), which keeps its rows in order; a row refused for
good is marked `failed` at once; a 410 from a webhook receiver disables its channel; a row older
than its channel's `max_age` is marked `failed` and logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from alerts.channels.base import Sender
from alerts.channels.registry import AnyChannel, channel_kind
from alerts.delivery import DeliveryError
from alerts.outbox_state import ChannelHealth, DeliveryObserver, DeliveryState
from alerts.repo import AlertRepo, OutboxRow
from alerts.routing import Alerting
from core.redact import Redactor

log = logging.getLogger("seamwatch.alerts")
T = TypeVar("T")


class OnWorker(Protocol):
    """Runs a blocking call on the alert service's worker thread."""

    def __call__(self, fn: Callable[..., T], *args: Any) -> Awaitable[T]: ...


class OutboxDelivery:
    def __init__(
        self, repo: AlertRepo, redactor: Redactor, clock: Callable[[], datetime],
        on_worker: OnWorker, *, jitter: Callable[[], float],
        observer: DeliveryObserver | None, owner: str, lease_s: float,
        stopping: Callable[[], bool],
    ) -> None:
        self.repo = repo
        self.redactor = redactor
        self.clock = clock
        self._db = on_worker
        self._jitter = jitter
        self._observer = observer
        self.owner = owner  # who claims outbox rows (the runner's id)
        self.lease_s = lease_s  # how long a claimed row is ours before another runner may send
        self._stopping = stopping
        self._channels: dict[str, DeliveryState] = {}  # per channel: backoff, failure, counts

    async def deliver(self, alerting: Alerting) -> int:
        """Each channel's due rows, the channels side by side. Returns the rows sent."""
        channels = alerting.channels
        for name in [n for n in self._channels if n not in channels]:
            del self._channels[name]  # removed by a reload
        counts = await asyncio.gather(*(
            self._deliver_channel(alerting, name, spec) for name, spec in channels.items()))
        return sum(counts)

    def health(self, alerting: Alerting) -> list[ChannelHealth]:
        """Every configured channel's delivery state (for `/metrics` and `/healthz`)."""
        return [ChannelHealth(name, spec.type, *self._channel(name).health())
                for name, spec in alerting.channels.items()]

    def forget_channels(self) -> None:
        """After a reload: every channel starts afresh (backoff, failures, a 410's disabling)."""
        self._channels.clear()

    def _channel(self, name: str) -> DeliveryState:
        state = self._channels.get(name)
        if state is None:
            state = self._channels[name] = DeliveryState(name, self._jitter, self._observer)
        return state

    async def _expire(self, alerting: Alerting, name: str, state: DeliveryState,
                      now: datetime) -> None:
        key = alerting.max_age_key(name)
        cutoff = now - timedelta(seconds=alerting.max_age(name))
        for old in await self._db(self.repo.expire_outbox, name, cutoff, key):
            log.error("alert %s %s (%s) failed: gave up after %d attempt(s): older than %s",
                      name, old.message_id, old.subject, old.attempts, key)
            state.count_failed()

    async def _deliver_channel(self, alerting: Alerting, name: str, spec: AnyChannel) -> int:
        """`name`'s due rows in order, one claimed at a time."""
        state = self._channel(name)
        now = self.clock()
        repo = self.repo
        if state.disabled is not None:
            if await self._db(repo.any_deliverable, now, name):
                for _ in range(await self._db(repo.fail_queued, name, state.disabled)):
                    state.count_failed()
            return 0
        if state.retry_at is not None and now < state.retry_at:
            return 0
        await self._expire(alerting, name, state, now)
        if not await self._db(repo.any_deliverable, now, name):
            return 0
        sent = 0
        row: OutboxRow | None = None
        try:
            async with contextlib.AsyncExitStack() as stack:
                sender: Sender | None = None
                while not self._stopping():
                    row = await self._db(repo.claim_next, self.clock(), name, self.owner,
                                         self.lease_s)
                    if row is None:
                        break
                    if sender is None:
                        sender = await stack.enter_async_context(
                            channel_kind(spec.type).sender(spec, self.redactor))
                    if row.interrupted:
                        log.warning("re-sending alert %s %s, whose sender stopped mid-send",
                                    name, row.message_id)
                    try:
                        await sender.send(row)
                    except DeliveryError as exc:
                        if exc.gone:
                            await self._db(repo.mark_failed, row, str(exc))
                            state.count_failed()
                            state.disable(str(exc))
                            return sent
                        if not exc.permanent:
                            raise
                        log.error("alert %s %s refused: %s", name, row.message_id, exc)
                        await self._db(repo.mark_failed, row, str(exc))
                        state.count_failed()
                        row = None
                        continue
                    await self._db(repo.mark_sent, row, self.clock())
                    state.count_sent()
                    sent += 1
                    row = None
        except DeliveryError as exc:
            retry_at = state.failed(now, str(exc), exc.retry_after)
            if row is not None:
                await self._db(repo.mark_retry, row, str(exc), retry_at)
            return sent
        state.succeeded()
        return sent
