"""Moves the drift book (probes/drift/tracker.py) to and from the database (storage/baselines.py):
`load` once at start, `sync` periodically in `serve` (save what is owed, then take the baselines
the CLI accepted or reset meanwhile) and once at the end of `once`. Blocking: call it in a
worker thread from the event loop. docs/architecture.md, "Drift"."""

from __future__ import annotations

import logging

from probes.drift.tracker import DriftTracker, now_ms
from storage import baselines
from storage.database import Store

log = logging.getLogger(__name__)

SYNC_INTERVAL_S = 5.0
# Rows committed by another process while the previous sync ran are read again next time.
_OVERLAP_MS = 30_000


class DriftSync:
    def __init__(self, store: Store, tracker: DriftTracker) -> None:
        self.store = store
        self.tracker = tracker
        self._since_ms: int | None = None

    def load(self) -> int:
        """Install every stored baseline newer than the book's; how many were taken."""
        started = now_ms()
        records = [r for r in baselines.load_records(self.store, since_ms=self._since_ms)
                   if self.tracker.is_newer(r)]  # not this process's own saves
        self._since_ms = started - _OVERLAP_MS
        return self.tracker.install(records, baselines.signatures(self.store, records))

    def sync(self) -> None:
        pending = self.tracker.take_pending()
        try:
            baselines.save(self.store, pending)
        except Exception:
            self.tracker.requeue(pending)
            raise
        self.load()
