"""The batched result writer: one asyncio task, each batch one transaction in a worker thread.

`submit()` never blocks and never drops. A locked database (SQLITE_BUSY) or any other error delays
the batch with exponential backoff and retries it until it commits; `close()` writes everything
still pending before it returns. Listeners (`add_listener`) see each batch after its commit, in
commit order — the alert evaluator hooks in there.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from probes.result import ProbeResult
from storage.database import Store
from storage.ingest import catalog
from storage.ingest.rows import (
    RUN_COLUMNS,
    STEP_COLUMNS,
    allocate_run_ids,
    build_rows,
    cluster_key,
    executemany_insert,
)
from storage.schema import run_steps_t, runs_t

log = logging.getLogger(__name__)

ProbeIds = Mapping[str, int] | Callable[[str], int | None]


class WrittenRun(NamedTuple):
    """A committed run: what listeners receive."""

    result: ProbeResult
    run_id: int
    probe_id: int


Listener = Callable[[Sequence[WrittenRun]], Awaitable[None] | None]


@dataclass(slots=True)
class WriterStats:
    written: int = 0
    batches: int = 0
    retries: int = 0
    last_error: str | None = None


def is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


class ResultWriter:
    def __init__(
        self,
        store: Store,
        probe_ids: ProbeIds | None = None,
        *,
        batch_size: int = 1000,
        flush_interval: float = 0.5,
        max_backoff: float = 5.0,
        on_written: Listener | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.store = store
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff
        self.stats = WriterStats()
        self.on_error = on_error  # called (loop thread) on every failed attempt; for tests/metrics
        self._lookup: ProbeIds = probe_ids if probe_ids is not None else {}
        self._learned: dict[str, int] = {}
        self._locations: dict[str, int] = {}
        self._listeners: list[Listener] = [on_written] if on_written else []
        self._pending: list[ProbeResult] = []
        self._first_pending_at = 0.0
        self._submitted = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._flush_now = False

    # -- public API -------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._pending)

    def add_listener(self, listener: Listener) -> None:
        """`listener(batch)` runs in the writer task after each commit (awaited if async);
        exceptions are logged and do not affect the stored runs."""
        self._listeners.append(listener)

    def update_probe_ids(self, probe_ids: ProbeIds) -> None:
        """After a config reload: the new {"integration/probe": id} mapping (or lookup)."""
        self._lookup = probe_ids
        self._learned = {}

    async def start(self) -> None:
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="seamwatch-result-writer")
            if self._pending:
                self._wake.set()

    def submit(self, result: ProbeResult) -> None:
        """Queue one result (call from the event loop thread). Never blocks, never drops."""
        if self._closing:
            raise RuntimeError("ResultWriter is closed; this result would not be written")
        if not self._pending:
            self._first_pending_at = time.monotonic()
        self._pending.append(result)
        self._submitted += 1
        # Wake the writer for the first result (it starts the flush_interval clock) and when a
        # batch is full; results in between only wait for the timer.
        if self._wake is not None and (
            len(self._pending) == 1 or len(self._pending) >= self.batch_size
        ):
            self._wake.set()

    async def flush(self) -> None:
        """Return once everything submitted before this call is committed."""
        target = self._submitted
        if self.stats.written >= target:
            return
        if self._task is None:
            await self.start()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, fut))
        self._flush_now = True
        assert self._wake is not None
        self._wake.set()
        await asyncio.shield(fut)

    async def close(self) -> None:
        """Write everything pending, then stop the writer task."""
        if self._task is None:
            if not self._pending:
                return
            await self.start()
        self._closing = True
        assert self._wake is not None and self._task is not None
        self._wake.set()
        await self._task

    async def __aenter__(self) -> ResultWriter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the writer task --------------------------------------------------------------------
    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            urgent = self._closing or self._flush_now or len(self._pending) >= self.batch_size
            if not urgent:
                due = self._first_pending_at + self.flush_interval - time.monotonic()
                if due > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=due)
                    continue
            batch = self._pending[: self.batch_size]
            written = await self._write_with_retry(batch)
            del self._pending[: len(batch)]
            self._first_pending_at = time.monotonic()
            self.stats.written += len(batch)
            self.stats.batches += 1
            if not self._pending:
                self._flush_now = False
            self._release_waiters()
            await self._notify(written)

    def _release_waiters(self) -> None:
        keep = []
        for target, fut in self._waiters:
            if self.stats.written >= target:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((target, fut))
        self._waiters = keep

    async def _write_with_retry(self, batch: list[ProbeResult]) -> list[WrittenRun]:
        attempt = 0
        while True:
            try:
                written, learned = await asyncio.to_thread(self._write_batch, batch)
            except Exception as exc:  # every failure is retried: nothing is dropped
                attempt += 1
                self.stats.retries += 1
                self.stats.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if is_locked_error(exc):
                    log.warning("database locked; retrying batch of %d (attempt %d)",
                                len(batch), attempt)
                else:
                    log.exception("writing a batch of %d results failed (attempt %d); retrying",
                                  len(batch), attempt)
                if self.on_error is not None:
                    self.on_error(exc)
                await asyncio.sleep(min(self.max_backoff, 0.02 * 2 ** min(attempt, 10)))
                continue
            self._learned.update(learned)
            return written

    def _known_id(self, key: str) -> int | None:
        if key in self._learned:
            return self._learned[key]
        lookup = self._lookup
        return lookup(key) if callable(lookup) else lookup.get(key)

    def _write_batch(
        self, batch: list[ProbeResult]
    ) -> tuple[list[WrittenRun], dict[str, int]]:
        keys = [catalog.probe_key(r.integration, r.probe) for r in batch]
        with self.store.write() as conn:
            pids = {k: self._known_id(k) for k in set(keys)}
            unknown = {(r.integration, r.probe): r.kind for r, k in zip(batch, keys, strict=True)
                       if pids[k] is None}
            learned = catalog.ensure_probes(conn, unknown) if unknown else {}
            pids.update(learned)
            locations = dict(self._locations)
            new_locations = {r.location for r in batch} - set(locations)
            if new_locations:
                locations.update(catalog.ensure_locations(conn, new_locations))
            probe_ids = [int(pids[k] or 0) for k in keys]
            ids = allocate_run_ids(conn, len(batch))
            run_rows, step_rows = build_rows(
                batch, ids, probe_ids, [locations[r.location] for r in batch]
            )
            run_rows.sort(key=cluster_key)  # b-tree order: fewer page seeks
            executemany_insert(conn, runs_t, RUN_COLUMNS, run_rows)
            executemany_insert(conn, run_steps_t, STEP_COLUMNS, step_rows)
        self._locations = locations  # committed: safe to cache
        return (
            [WrittenRun(r, i, p) for r, i, p in zip(batch, ids, probe_ids, strict=True)],
            learned,
        )

    async def _notify(self, written: list[WrittenRun]) -> None:
        for listener in self._listeners:
            try:
                outcome = listener(written)
                if inspect.isawaitable(outcome):
                    await outcome
            except Exception:
                log.exception("result listener %r failed", listener)
