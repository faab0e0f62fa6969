"""This `serve` process as one runner among several (docs/runners.md): it registers in the
`runners` table, heartbeats every quarter lease, re-reads its location's members and tells
`serve` which probes to schedule; `owns` decides, as each run fires, whether it is this
runner's to run. On SQLite (one runner per file) it registers and heartbeats for `status` only
and owns every probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version

from seamwatch.sharing import HEARTBEAT_FRACTION, Membership
from storage.codes import now_ms, to_ms
from storage.database import Store
from storage.runners import RunnerInfo, heartbeat, register, unregister

log = logging.getLogger("seamwatch.fleet")


def seamwatch_version() -> str:
    try:
        return version("seamwatch")
    except PackageNotFoundError:
        return "unknown"


class Fleet:
    def __init__(
        self, store: Store, location: str, lease_s: float,
        keys: Callable[[], Collection[str]], on_change: Callable[[set[str]], None],
    ) -> None:
        self.store = store
        self.info = RunnerInfo(uuid.uuid4().hex[:16], location, socket.gethostname(),
                               os.getpid(), seamwatch_version())
        self.solo = store.is_sqlite
        self.lease_ms = int(lease_s * 1000)
        self.period_s = lease_s * HEARTBEAT_FRACTION
        self.membership = Membership(self.info.id, self.lease_ms)
        self._keys = keys
        self._on_change = on_change
        self.scheduled: set[str] = set()
        self.owned_now = 0
        self.last_error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._registered = False

    @property
    def id(self) -> str:
        return self.info.id

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="seamwatch-fleet")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._registered:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(unregister, self.store, self.id)

    def owns(self, key: str, scheduled: datetime) -> bool:
        return self.solo or self.membership.owns(key, to_ms(scheduled))

    async def refresh(self) -> None:
        """Heartbeat, re-read the members, and hand `serve` the probes to schedule."""
        keys = self._keys()
        try:
            await asyncio.to_thread(self._beat, len(keys))
            self.last_error = None
        except Exception as exc:  # the database is down: keep the last view (and ourselves)
            self.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
            log.warning("runner heartbeat failed (%s); keeping the last view of the runners",
                        self.last_error)
        now = now_ms()
        if self.solo:
            scheduled = set(keys)
            self.owned_now = len(scheduled)
        else:
            horizon = int(self.period_s * 1000 * 1.5)
            scheduled = self.membership.candidates(keys, now, horizon)
            self.owned_now = sum(1 for k in scheduled if self.membership.owns(k, now))
        if scheduled != self.scheduled:
            self.scheduled = scheduled
            self._on_change(scheduled)

    def _beat(self, total: int) -> None:
        if not self._registered:
            register(self.store, self.info, total)
            self._registered = True
        _, members = heartbeat(self.store, self.id, self.info.location, self.owned_now, total,
                               forget_after_ms=2 * self.lease_ms)
        self.membership.update(members)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.period_s)
            await self.refresh()
