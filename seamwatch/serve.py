"""`seamwatch serve`: the long-running process. Wires the loaded config → runtime pool → scheduler
→ probe runs → writer (→ alerts), reloads the config when the file changes, and stops gracefully.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from alerts.backlog import BACKLOG_NAME
from alerts.service import AlertService
from core.redact import Redactor
from probes.drift.tracker import DriftTracker
from probes.heartbeats import HeartbeatRegistry
from probes.run import run_probe
from seamwatch.config import Config, ConfigError, ConfigWatcher, ProbeEntry, load_config
from seamwatch.drift_sync import SYNC_INTERVAL_S, DriftSync
from seamwatch.fdlimit import raise_open_file_limit
from seamwatch.fleet import Fleet
from seamwatch.inbound_sync import SAVE_INTERVAL_S, InboundSync
from seamwatch.listener import Listener, bind_socket, build_app
from seamwatch.metrics import ServeMetrics
from seamwatch.report_mail import queue_due_report
from seamwatch.runtime_pool import RuntimePool
from seamwatch.scheduler import ProbeScheduler, ScheduledProbe
from seamwatch.webhooks import WebhookReceiver
from storage.database import Store, open_store
from storage.ingest.catalog import sync_catalog
from storage.ingest.spill import SPILL_NAME, SpillFile
from storage.ingest.status import CloseReport
from storage.ingest.writer import ResultWriter, WrittenRun
from storage.upkeep import upkeep_storage

log = logging.getLogger("seamwatch.serve")
UPKEEP_INTERVAL_S = 300.0


def freeze_long_lived_objects(*, reclaim_frozen: bool = False) -> None:
    """Move everything alive now out of the cyclic garbage collector's scans (gc.freeze).

    With 10,000 probes the config models, scheduler jobs and per-probe state are millions of
    long-lived objects; each full (gen2) collection walked them all and stalled the event loop
    for 0.2-0.4 s, which showed up as start-lag spikes whenever failing probes produced enough
    garbage to trigger one. Objects freed later by reference counting are still freed;
    `reclaim_frozen` first returns the frozen set to the collector (after a config reload the
    previous config's objects may form cycles)."""
    if reclaim_frozen:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    # A full pass over what is left (nearly nothing) resets the collector's count of long-lived
    # objects; without it, garbage piles up until it exceeds a quarter of the frozen set.
    gc.collect()


def catalog_rows(config: Config) -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (e.integration.name, e.probe.name, e.probe.type,
         {"description": e.integration.description, "tags": e.integration.tags})
        for e in config.entries
    ]


class ServeProcess:
    """Everything `serve` runs in one process, built from an already loaded `Config`."""

    def __init__(self, config: Config, redactor: Redactor, *, reload_interval_s: float = 2.0):
        raise_open_file_limit()  # probe and listener connections are file descriptors
        self.config = config
        self.redactor = redactor
        self.metrics = ServeMetrics()
        self.store: Store = open_store(config.storage_url)
        try:
            self.store.hold_as_only_runner()  # SQLite: one serve per file
        except Exception:
            self.store.close()
            raise
        self.fleet = Fleet(self.store, config.runner.location, config.runner.lease,
                           self._entry_keys, self._schedule)
        self.metrics.runner_info.labels(self.fleet.id, config.runner.location,
                                        self.fleet.info.version).set(1)
        self.metrics.probes_owned.set_function(lambda: self.fleet.owned_now)
        self.heartbeats = HeartbeatRegistry()
        self.webhooks = WebhookReceiver(self.heartbeats, on_receipt=self.metrics.receipt)
        self.inbound = InboundSync(self.store, self.webhooks, self.heartbeats)
        self.drift = DriftSync(self.store, DriftTracker(redactor))  # learned response shapes
        self.pool = RuntimePool(redactor, self.heartbeats, self.drift.tracker, self.webhooks)
        self.scheduler = ProbeScheduler(self._run_scheduled, on_missed=self.metrics.missed.inc)
        self._probe_ids = sync_catalog(self.store, catalog_rows(config))
        self.writer = ResultWriter(
            self.store, self._probe_ids,
            batch_size=config.storage.batch_size, flush_interval=config.storage.flush_interval,
            spill=SpillFile(config.state_path / SPILL_NAME),
            max_buffered=config.storage.max_buffered_runs,
        )
        self.metrics.writer_backlog.set_function(lambda: self.writer.pending)
        self.alerts = AlertService(self.store, config, redactor=redactor,
                                   backlog_path=config.state_path / BACKLOG_NAME,
                                   observer=self.metrics, owner=self.fleet.id,
                                   lease_s=config.runner.lease)
        # Alerts evaluate runs only once they are committed, in commit order.
        self.writer.add_listener(self._evaluate_alerts)
        self._entries: dict[str, ProbeEntry] = {e.key: e for e in config.entries}
        self._semaphore = asyncio.Semaphore(config.runner.concurrency)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._stopping = asyncio.Event()
        self._watcher = ConfigWatcher(config.path, reload_interval_s)
        self._listener: Listener | None = None
        self.started_monotonic = time.monotonic()
        self.last_reload_error: str | None = None
        # Called with (probe key, start lag seconds) for every run; benchmarks and tests use it.
        self.lag_observer: Callable[[str, float], None] | None = None
        if config.runner.listen:
            sock = bind_socket(config.runner.listen)
            app = build_app(self.metrics.registry, self.health, self.heartbeats, self.webhooks)
            self._listener = Listener(app, sock)

    def _evaluate_alerts(self, batch: Sequence[WrittenRun]) -> None:
        # Queued, not awaited: a failing alert transaction is retried by the alert service and
        # must not hold up the writer.
        self.alerts.on_results(batch)

    # ------------------------------------------------------------------ running probes
    def _entry_keys(self) -> list[str]:
        """The probes this runner's location runs (all, unless a probe names `locations:`)."""
        location = self.config.runner.location
        return [key for key, e in self._entries.items() if e.runs_at(location)]

    def _schedule(self, keys: set[str]) -> None:
        """Schedule the probes this runner may own (all of them when it runs alone)."""
        self.scheduler.sync(ScheduledProbe(e.key, e.probe.interval)
                            for e in self._entries.values() if e.key in keys)

    async def _run_scheduled(self, key: str, scheduled: datetime) -> None:
        entry = self._entries.get(key)
        if entry is None or self._stopping.is_set() or not self.fleet.owns(key, scheduled):
            return
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            async with self._semaphore:
                lag = (datetime.now(UTC) - scheduled).total_seconds()
                self.metrics.start_lag.observe(max(0.0, lag))
                if self.lag_observer is not None:
                    self.lag_observer(key, lag)
                result = await run_probe(
                    self.pool[entry.integration.name], entry.probe, entry.policy,
                    location=self.config.runner.location,
                )
            self.writer.submit(result)
            self.metrics.record(result)
            if result.failure:
                log.info("%s %s %s: %s", key, result.status, result.category, result.message)
        finally:
            if task is not None:
                self._inflight.discard(task)

    # ------------------------------------------------------------------ config reload
    async def _apply(self, config: Config) -> None:
        await self.pool.apply(config)
        self._probe_ids = sync_catalog(self.store, catalog_rows(config))
        self.writer.update_probe_ids(self._probe_ids)
        self._entries = {e.key: e for e in config.entries}
        await self.fleet.refresh()
        self._schedule(self.fleet.scheduled)  # also when only intervals changed
        self.metrics.retain((e.integration.name, e.probe.name) for e in config.entries)
        self.alerts.reload(config)
        self.config = config

    async def _reload(self) -> None:
        try:
            config = await asyncio.to_thread(load_config, self.config.path)
        except ConfigError as exc:
            self.metrics.config_reload_errors.inc()
            self.last_reload_error = str(exc)
            for problem in exc.problems:
                log.error("config not reloaded: %s", problem)
            log.error("keeping the previous config (%d probes)", len(self._entries))
            return
        for key, old, new in (
            ("storage.url", self.config.storage_url, config.storage_url),
            ("runner.concurrency", self.config.runner.concurrency, config.runner.concurrency),
            ("runner.listen", self.config.runner.listen, config.runner.listen),
            ("runner.location", self.config.runner.location, config.runner.location),
            ("runner.lease", self.config.runner.lease, config.runner.lease),
        ):
            if old != new:
                log.warning("%s changed: it takes effect when seamwatch restarts", key)
        await self._apply(config)
        freeze_long_lived_objects(reclaim_frozen=True)  # the old config's objects may be cyclic
        self.last_reload_error = None
        log.info("config reloaded: %d integrations, %d probes",
                 len(config.integrations), len(config.entries))

    # ------------------------------------------------------------------ lifecycle
    def health(self) -> dict[str, Any]:
        """The `/healthz` report: `ok` is false (503) while stopping, or when the oldest
        unwritten run, an unbroken series of failed writes or the oldest alert evaluation not
        yet applied is older than `storage.unhealthy_after`; `reasons` says which."""
        limit = self.config.storage.health_delay_s
        writer = self.writer.health()
        alerts = self.alerts.backlog()
        reasons = []
        if self._stopping.is_set():
            reasons.append("stopping")
        if writer.oldest_unwritten_s is not None and writer.oldest_unwritten_s > limit:
            reasons.append(f"the oldest unwritten run is {writer.oldest_unwritten_s:.0f}s old "
                           f"(over {limit:g}s)")
        if writer.failing_for_s is not None and writer.failing_for_s > limit:
            reasons.append(f"database writes have failed for {writer.failing_for_s:.0f}s: "
                           f"{writer.last_error}")
        if alerts.oldest_s is not None and alerts.oldest_s > limit:
            reasons.append(f"alert evaluation is {alerts.oldest_s:.0f}s behind "
                           f"({alerts.runs} run(s)): {alerts.last_error or 'waiting'}")
        return {
            "ok": not reasons,
            "reasons": reasons,
            "probes": len(self._entries),
            "in_flight": len(self._inflight),
            "writer_backlog": self.writer.pending,
            "buffered_runs": writer.buffered,
            "spilled_runs": writer.spilled,
            "oldest_unwritten_s": _rounded(writer.oldest_unwritten_s),
            "write_failing_s": _rounded(writer.failing_for_s),
            "last_write_error": writer.last_error,
            "alert_backlog_runs": alerts.runs,
            "channels": {c.name: {"type": c.type, "status": c.status, "error": c.error}
                         for c in self.alerts.channel_health()},
            "written": self.writer.stats.written,
            "missed_runs": self.scheduler.missed,
            "runner": self.fleet.id,
            "location": self.config.runner.location,
            "probes_owned": self.fleet.owned_now,
            "runner_error": self.fleet.last_error,
            "config_error": self.last_reload_error,
            "uptime_s": round(time.monotonic() - self.started_monotonic, 1),
        }

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        await self.alerts.start()  # first: evaluations left by the last stop go before new ones
        await self.writer.start()
        await asyncio.to_thread(self.drift.load)
        await self.pool.apply(self.config)
        self.inbound.restore(self._probe_ids)  # resume the clocks where they were
        await self.fleet.start()  # registers, reads the other runners, schedules our probes
        freeze_long_lived_objects()
        loop.call_later(self._steady_state_after(), freeze_long_lived_objects)
        self.scheduler.start()
        if self._listener:
            self._listener.start()
        log.info("serving %d probes of %d integrations%s", len(self._entries),
                 len(self.config.integrations),
                 f"; listening on http://{self._listener.address}" if self._listener else "")
        watch = asyncio.create_task(self._watch_config())
        upkeep = asyncio.create_task(self._storage_upkeep())
        drift = asyncio.create_task(self._drift_sync())
        seen = asyncio.create_task(self._save_seen_every())
        try:
            await self._stopping.wait()
        finally:
            watch.cancel()
            await drift
            await upkeep  # finishes a pass in progress; never cut a transaction short
            await seen
            await self._shutdown()

    async def _storage_upkeep(self) -> None:
        """Hourly rollups (which the dashboard reads) and retention, every few minutes, in a
        worker thread; the first pass also catches up after a pause."""
        while not self._stopping.is_set():
            try:
                report = await asyncio.to_thread(upkeep_storage, self.store,
                                                 self.config.storage)
                if not report.idle:
                    log.info("storage upkeep: %d rollups written, %d runs past retention "
                             "deleted (%.1fs)", report.rollups_written, report.runs_deleted,
                             report.seconds)
            except Exception as exc:
                log.warning("storage upkeep failed (%s: %s); retrying later",
                            type(exc).__name__, exc)
            try:
                if await asyncio.to_thread(queue_due_report, self.store, self.config,
                                           self.redactor, int(time.time() * 1000)):
                    log.info("period report queued for email")
            except Exception as exc:
                log.warning("period report failed (%s: %s); retrying later",
                            type(exc).__name__, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), UPKEEP_INTERVAL_S)

    async def _drift_sync(self) -> None:
        """Save learned shapes and drift events, and take the baselines `seamwatch baseline`
        accepted or reset, every few seconds in a worker thread; a last pass when stopping."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SYNC_INTERVAL_S)
            try:
                await asyncio.to_thread(self.drift.sync, final=self._stopping.is_set())
            except Exception as exc:
                log.warning("saving drift baselines failed (%s: %s); retrying later",
                            type(exc).__name__, exc)
            if self._stopping.is_set():
                return

    async def _save_seen_every(self) -> None:
        """Store the heartbeat/webhook times that moved (sharing the database, take the other
        runners'), every few seconds and once more at the stop."""
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), SAVE_INTERVAL_S)
            await asyncio.to_thread(self.inbound.save, self._probe_ids)

    def _steady_state_after(self) -> float:
        """Seconds until every probe has run once (its metrics, alert state and catalog rows
        exist): then the long-lived set is complete enough to freeze again."""
        longest = max((e.probe.interval for e in self._entries.values()), default=60.0)
        return min(longest, 600.0) + 10.0

    async def _watch_config(self) -> None:
        async for _ in self._watcher.changes():
            await self._reload()

    async def _shutdown(self) -> None:
        log.info("stopping: waiting for %d runs in flight", len(self._inflight))
        self.scheduler.pause()
        await self.fleet.stop()  # the other runners take our probes over at once
        if self._inflight:
            bound = max((e.probe.timeout for e in self._entries.values()), default=10.0) + 2.0
            await asyncio.wait(set(self._inflight), timeout=bound)
        self.scheduler.shutdown()
        budget = self.config.storage.shutdown_timeout
        deadline = time.monotonic() + budget
        report = await self.writer.close(timeout=budget)
        unevaluated = await self.alerts.stop(timeout=max(0.0, deadline - time.monotonic()))
        if self._listener:
            await self._listener.stop()
        await self.pool.aclose()
        self.store.close()
        self._log_stopped(report, unevaluated)

    def _log_stopped(self, report: CloseReport, unevaluated: int) -> None:
        if report.left:
            log.warning(
                "the database took no writes for storage.shutdown_timeout (%gs; last error: "
                "%s): %d unwritten run(s) left in %s, written at the next start",
                self.config.storage.shutdown_timeout, self.writer.stats.last_error,
                report.left, report.spill_path)
        if unevaluated:
            log.warning("the alert evaluation of %d committed run(s) is applied at the next "
                        "start", unevaluated)
        log.info("stopped; %d runs written, %d left unwritten", report.written, report.left)


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


async def serve(config: Config, redactor: Redactor) -> None:
    """Run `serve` on the config the command loaded (it is not loaded again here)."""
    await ServeProcess(config, redactor).run()
