"""The batched result writer: one asyncio task, each batch one transaction in a worker thread.

`submit()` never blocks and never drops. A locked database (SQLITE_BUSY, a PostgreSQL lock
timeout) or any other error delays the batch with exponential backoff and retries it until it
commits. With a spill file (`serve`), at most `max_buffered` runs wait in memory; the overflow
goes, in order, to the spill file (`storage.ingest.spill`) and is written back behind them once
the database takes writes again. `close()` writes everything still pending; with a timeout it
gives up after it and moves what is left to the spill file. Listeners (`add_listener`) see each
batch after its commit, in commit order — the alert evaluator hooks in there. `health()` tells
how far behind the writer is (the oldest unwritten run, how long writes have been failing).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import NamedTuple

from probes.result import ProbeResult
from storage.database import Store
from storage.ingest import catalog
from storage.ingest.expiries import record_expiries
from storage.ingest.rows import (
    RUN_COLUMNS,
    STEP_COLUMNS,
    allocate_run_ids,
    build_rows,
    cluster_key,
    executemany_insert,
)
from storage.ingest.spill import SpillFile, SpillFileInUse
from storage.ingest.status import (
    CloseReport,
    WriterHealth,
    WriterStats,
    describe_error,
    is_locked_error,
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


class _Queued(NamedTuple):
    result: ProbeResult
    queued_at: float  # wall-clock time of `submit()` (kept in the spill file across restarts)
    spill_end: int | None  # read back from the spill file: the file offset past its line


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
        spill: SpillFile | None = None,
        max_buffered: int = 20000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.max_backoff = max_backoff
        self.stats = WriterStats()
        self.on_error = on_error  # called (loop thread) on every failed attempt; for tests/metrics
        # Without a spill file (once, tests, the bench) nothing bounds the memory buffer.
        self.spill = spill
        self.max_buffered = max(1, max_buffered)
        self._clock = clock
        self._lookup: ProbeIds = probe_ids if probe_ids is not None else {}
        self._learned: dict[str, int] = {}
        self._locations: dict[str, int] = {}
        self._listeners: list[Listener] = [on_written] if on_written else []
        self._pending: list[_Queued] = []
        self._first_pending_at = 0.0
        self._failing_since: float | None = None
        self._submitted = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wake: asyncio.Event | None = None
        self._give_up = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._flush_now = False
        if spill is not None:
            self._submitted = spill.unread  # a flush() waits for the runs of an earlier stop too

    # -- public API -------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Unwritten runs: in memory and in the spill file."""
        return len(self._pending) + (self.spill.unread if self.spill else 0)

    def health(self) -> WriterHealth:
        now = self._clock()
        oldest = self._pending[0].queued_at if self._pending else None
        return WriterHealth(
            buffered=len(self._pending),
            spilled=self.spill.unread if self.spill else 0,
            oldest_unwritten_s=None if oldest is None else max(0.0, now - oldest),
            failing_for_s=None if self._failing_since is None
            else max(0.0, now - self._failing_since),
            last_error=self.stats.last_error,
        )

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
            if self.pending:
                self._wake.set()

    def submit(self, result: ProbeResult) -> None:
        """Queue one result (call from the event loop thread). Never blocks, never drops."""
        if self._closing:
            raise RuntimeError("ResultWriter is closed; this result would not be written")
        self._submitted += 1
        queued = _Queued(result, self._clock(), None)
        spill = self.spill
        # Once runs wait in the spill file, later ones queue behind them there: order is kept.
        if spill is not None and (spill.unread or len(self._pending) >= self.max_buffered):
            try:
                self.stats.spilled += spill.append([(result, queued.queued_at)])
                return
            except (OSError, SpillFileInUse) as exc:  # the buffer grows; no run is lost
                log.error("cannot spill to %s (%s); keeping the run in memory", spill.path, exc)
        if not self._pending:
            self._first_pending_at = time.monotonic()
        self._pending.append(queued)
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

    async def close(self, timeout: float | None = None) -> CloseReport:
        """Write everything pending, then stop the writer task. With `timeout`, stop waiting for
        the database after that many seconds (plus the attempt in progress, which the store's
        busy/lock timeout bounds) and move what is left to the spill file."""
        if self._task is None and self.pending:
            await self.start()
        self._closing = True
        if self._task is not None:
            assert self._wake is not None
            self._wake.set()
            done, _ = await asyncio.wait({self._task}, timeout=timeout)
            if not done:
                self._give_up.set()
                self._wake.set()
                await self._task
        if self._pending and self.spill is not None:
            try:
                self.spill.rewrite([(q.result, q.queued_at) for q in self._pending])
            except (OSError, SpillFileInUse) as exc:
                log.error("cannot spill %d unwritten run(s) to %s (%s): they are lost",
                          len(self._pending), self.spill.path, exc)
            else:
                self.stats.spilled += sum(1 for q in self._pending if q.spill_end is None)
                self._pending.clear()
        left = self.pending
        for _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(RuntimeError(f"writer closed with {left} run(s) unwritten"))
        self._waiters = []
        report = CloseReport(self.stats.written, left,
                             str(self.spill.path) if self.spill and left else None)
        if self.spill is not None:
            self.spill.close()
        return report

    async def __aenter__(self) -> ResultWriter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the writer task --------------------------------------------------------------------
    def _refill(self) -> None:
        """Read runs back from the spill file, behind those in memory, up to the bound."""
        spill = self.spill
        if spill is None or not spill.unread or len(self._pending) >= self.max_buffered:
            return
        was_empty = not self._pending
        self._pending.extend(
            _Queued(s.result, s.queued_at, s.end)
            for s in spill.take(self.max_buffered - len(self._pending))
        )
        if was_empty:
            self._first_pending_at = time.monotonic()

    async def _run(self) -> None:
        assert self._wake is not None
        while not self._give_up.is_set():
            self._refill()
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            urgent = (self._closing or self._flush_now or len(self._pending) >= self.batch_size
                      or self._pending[0].spill_end is not None)
            if not urgent:
                due = self._first_pending_at + self.flush_interval - time.monotonic()
                if due > 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=due)
                    continue
            batch = self._pending[: self.batch_size]
            written = await self._write_with_retry([q.result for q in batch])
            if written is None:  # close() stopped waiting; the batch stays pending
                return
            del self._pending[: len(batch)]
            ends = [q.spill_end for q in batch if q.spill_end is not None]
            if ends and self.spill is not None:
                self._spill_committed(max(ends))
            self._first_pending_at = time.monotonic()
            self.stats.written += len(batch)
            self.stats.batches += 1
            if not self._pending:
                self._flush_now = False
            self._release_waiters()
            await self._notify(written)

    def _spill_committed(self, end: int) -> None:
        assert self.spill is not None
        try:
            self.spill.committed(end)
        except OSError as exc:  # at worst, a restart writes those runs a second time
            log.error("cannot record progress in %s: %s", self.spill.path, exc)

    def _release_waiters(self) -> None:
        keep = []
        for target, fut in self._waiters:
            if self.stats.written >= target:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((target, fut))
        self._waiters = keep

    async def _write_with_retry(self, batch: list[ProbeResult]) -> list[WrittenRun] | None:
        """The committed batch, or None once `close()` stops waiting for the database."""
        attempt = 0
        while True:
            try:
                written, learned = await asyncio.to_thread(self._write_batch, batch)
            except Exception as exc:  # every failure is retried: nothing is dropped
                attempt += 1
                self.stats.retries += 1
                self.stats.last_error = describe_error(exc)
                self.stats.last_error_at = self._clock()
                if self._failing_since is None:
                    self._failing_since = self.stats.last_error_at
                if is_locked_error(exc):
                    log.warning("database locked; retrying batch of %d (attempt %d, %d run(s) "
                                "unwritten)", len(batch), attempt, self.pending)
                else:
                    log.error("writing a batch of %d results failed (attempt %d): %s; retrying",
                              len(batch), attempt, self.stats.last_error, exc_info=attempt == 1)
                if self.on_error is not None:
                    self.on_error(exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._give_up.wait(),
                                           min(self.max_backoff, 0.02 * 2 ** min(attempt, 10)))
                if self._give_up.is_set():
                    return None
                continue
            self._failing_since = None
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
            if any(r.expiries for r in batch):
                record_expiries(conn, batch)
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
