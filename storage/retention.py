"""Retention: deletes raw runs older than `raw_retention` once they are rolled up, and hourly
rollups older than `rollup_retention`. It only deletes; `storage.upkeep` rolls the complete hours
up first (`storage.rollups.write`).

Boundaries are aligned down to whole hours. Raw runs are deleted only below the rollup watermark,
where each of them is already counted in a rollup row (rolled when the watermark passed its hour,
or queued as a late run by the insert trigger and merged), so deleting them never changes the
rollups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.codes import now_ms, to_ms
from storage.database import Store
from storage.rollups.format import hour_floor
from storage.rollups.write import watermark
from storage.schema import probes_t, rollups_t, run_steps_t, runs_t


@dataclass(slots=True)
class RetentionReport:
    raw_boundary_ms: int
    rollup_boundary_ms: int
    runs_deleted: int = 0
    steps_deleted: int = 0
    rollups_deleted: int = 0


def apply_retention(
    store: Store,
    raw_retention_s: float,
    rollup_retention_s: float,
    now: datetime | None = None,
) -> RetentionReport:
    """Delete raw runs older than raw retention that are rolled up (one transaction per probe)
    and rollups older than rollup retention."""
    t = to_ms(now) if now is not None else now_ms()
    raw_b = hour_floor(t - int(raw_retention_s * 1000))
    roll_b = hour_floor(t - int(rollup_retention_s * 1000))
    report = RetentionReport(raw_b, roll_b)
    with store.engine.connect() as conn:
        boundary = min(raw_b, watermark(conn) or 0)
        probe_ids = list(conn.execute(sa.select(probes_t.c.id).order_by(probes_t.c.id)).scalars())
    for pid in probe_ids:
        with store.write() as conn:
            old = (runs_t.c.probe_id == pid) & (runs_t.c.started_ms < boundary)
            steps = conn.execute(run_steps_t.delete().where(
                run_steps_t.c.run_id.in_(sa.select(runs_t.c.id).where(old))))
            report.steps_deleted += steps.rowcount or 0
            report.runs_deleted += conn.execute(runs_t.delete().where(old)).rowcount or 0
    with store.write() as conn:
        res = conn.execute(rollups_t.delete().where(rollups_t.c.hour_ms < roll_b))
        report.rollups_deleted = res.rowcount or 0
    return report
