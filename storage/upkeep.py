"""The storage upkeep `seamwatch serve` runs every few minutes (in a worker thread): roll up the
hours that completed (`storage.rollups.write`), then apply retention (`storage.retention`). Cheap
when there is nothing to do: a few indexed lookups, and the per-probe deletes find nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from storage.codes import from_ms, now_ms, to_ms
from storage.database import Store
from storage.retention import apply_retention
from storage.rollups.write import roll_up_completed_hours, watermark
from storage.spec import StorageSpec


@dataclass(slots=True)
class UpkeepReport:
    rolled_through_ms: int | None  # the rollup watermark afterwards (hours before it rolled up)
    rollups_written: int  # rollup rows written (new hours and late runs merged)
    runs_deleted: int
    steps_deleted: int
    rollups_deleted: int
    seconds: float

    @property
    def idle(self) -> bool:
        return not (self.rollups_written or self.runs_deleted or self.rollups_deleted)


def upkeep_storage(store: Store, spec: StorageSpec, now: datetime | None = None) -> UpkeepReport:
    """Roll up every complete hour (keeping raw runs), then apply `spec`'s raw and rollup
    retention. Safe to call from several processes at once; idempotent."""
    started = time.perf_counter()
    at = now if now is not None else from_ms(now_ms())
    written = roll_up_completed_hours(store, to_ms(at))
    report = apply_retention(
        store, float(spec.raw_retention), float(spec.rollup_retention), now=at)
    with store.engine.connect() as conn:
        w = watermark(conn)
    return UpkeepReport(
        rolled_through_ms=w,
        rollups_written=written,
        runs_deleted=report.runs_deleted,
        steps_deleted=report.steps_deleted,
        rollups_deleted=report.rollups_deleted,
        seconds=time.perf_counter() - started,
    )
