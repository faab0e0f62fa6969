"""`seamwatch once`: run the chosen probes now, store their results, report them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from core.redact import Redactor
from probes.drift.tracker import DriftTracker
from probes.result import ProbeResult
from probes.run import run_probe
from seamwatch.config import Config, ProbeEntry
from seamwatch.drift_sync import DriftSync
from seamwatch.errors import UserError
from seamwatch.runtime_pool import RuntimePool
from seamwatch.serve import catalog_rows
from storage.database import Store, open_store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter

INBOUND_KINDS = ("heartbeat", "webhook")


class UnknownProbe(UserError):
    exit_code = 2


def select_entries(config: Config, selectors: Sequence[str]) -> list[ProbeEntry]:
    """`integration/probe`, or `integration` (all its probes), or `integration/*`. Heartbeat
    and webhook probes only when named: what they wait for arrives at `serve`'s listener, not at
    a one-off run."""
    if not selectors:
        return [e for e in config.entries if e.probe.type not in INBOUND_KINDS]
    chosen: list[ProbeEntry] = []
    for selector in selectors:
        integration, _, probe = selector.partition("/")
        matches = [
            e for e in config.entries
            if e.integration.name == integration
            and (probe == e.probe.name
                 or (probe in ("", "*") and e.probe.type not in INBOUND_KINDS))
        ]
        if not matches:
            known = ", ".join(e.key for e in config.entries)
            raise UnknownProbe(f"--probe {selector}: no such probe (known: {known})")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


async def run_once(config: Config, entries: Sequence[ProbeEntry], redactor: Redactor,
                   *, store_results: bool = True) -> list[ProbeResult]:
    """Run `entries` once; with `store_results`, record them, and judge and learn response
    shapes against the stored baselines (without it, no drift is judged)."""
    store: Store | None = open_store(config.storage_url) if store_results else None
    try:
        return await _run_and_record(config, entries, redactor, store)
    finally:
        if store is not None:
            store.close()


async def _run_and_record(config: Config, entries: Sequence[ProbeEntry], redactor: Redactor,
                          store: Store | None) -> list[ProbeResult]:
    drift: DriftSync | None = None
    if store is not None:
        drift = DriftSync(store, DriftTracker(redactor))
        await asyncio.to_thread(drift.load)
    pool = RuntimePool(redactor, drift=drift.tracker if drift else None)
    await pool.apply(config)
    semaphore = asyncio.Semaphore(config.runner.concurrency)

    async def one(entry: ProbeEntry) -> ProbeResult:
        async with semaphore:
            return await run_probe(pool[entry.integration.name], entry.probe, entry.policy,
                                   location=config.runner.location)

    try:
        results = list(await asyncio.gather(*(one(e) for e in entries)))
    finally:
        await pool.aclose()
    if store is not None:
        writer = ResultWriter(store, sync_catalog(store, catalog_rows(config)))
        await writer.start()
        for result in results:
            writer.submit(result)
        await writer.close()
        if drift is not None:
            await asyncio.to_thread(drift.sync, final=True)
    return results
