"""Moves the drift book (probes/drift/tracker.py) to and from the database (storage/baselines.py):
`load` once at start, `sync` periodically in `serve` (save what is owed, then take the baselines
the CLI accepted or reset meanwhile) and once at the end of `once`. Blocking: call it in a
worker thread from the event loop. docs/architecture.md, "Drift".

Each sync saves new and frozen baselines and drift events; the progress of baselines still
learning at most every LEARNING_SYNC_S (and on the last sync), since it changes on every run
and only `seamwatch baseline list` shows it. A `load` reads keys and generations first and whole
rows only for the baselines another process changed (its own saves come back otherwise)."""

from __future__ import annotations

import logging
import time

from probes.drift.tracker import DriftTracker, now_ms
from storage import baselines
from storage.database import Store

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 5.0
LEARNING_SYNC_S = 300.0
# Rows committed by another process while the previous sync ran are read again next time.
_OVERLAP_MS = 30_000


class DriftSync:
    def __init__(self, store: Store, tracker: DriftTracker) -> None:
        self.store = store
        self.tracker = tracker
        self._since_ms: int | None = None
        self._learning_synced = time.monotonic()

    def load(self) -> int:
        """Install every stored baseline newer than the book's; how many were taken."""
        started = now_ms()
        if self._since_ms is None:
            records = [r for r in baselines.load_records(self.store)
                       if self.tracker.is_newer(r)]
        else:
            newer = {key for key, generation in baselines.generations(self.store, self._since_ms)
                     if self.tracker.is_newer_generation(key, generation)}  # not our own saves
            records = baselines.load_records(self.store, keys=newer) if newer else []
        self._since_ms = started - _OVERLAP_MS
        return self.tracker.install(records, baselines.signatures(self.store, records))

    def sync(self, *, final: bool = False) -> None:
        """`final`: the last sync of the process, with every learning record's progress."""
        learning = final or time.monotonic() - self._learning_synced >= LEARNING_SYNC_S
        if learning:
            self._learning_synced = time.monotonic()
        pending = self.tracker.take_pending(learning=learning)
        try:
            baselines.save(self.store, pending)
        except Exception:
            self.tracker.requeue(pending)
            raise
        self.load()
