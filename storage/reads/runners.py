"""Read model of the runner registry (`runners`) for `seamwatch status` and the dashboard's
Runners page: each runner, how long since its last heartbeat, and whether it went silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.codes import from_ms
from storage.database import Store
from storage.runners import db_now_ms
from storage.schema.runners import runners_t

STOPPED_SHOWN_MS = 24 * 3600 * 1000  # a stopped or silent runner is listed for a day


@dataclass(frozen=True, slots=True)
class RunnerRow:
    id: str
    location: str
    host: str
    pid: int
    version: str
    started_at: datetime
    heartbeat_at: datetime
    heartbeat_age_s: float
    probes_owned: int
    probes_total: int
    state: str  # "running" | "silent" (no heartbeat for a lease) | "stopped"


def runners(store: Store, lease_s: float) -> list[RunnerRow]:
    """Runners seen in the last day, by location then start time."""
    t = runners_t
    with store.engine.connect() as conn:
        now = db_now_ms(conn)
        rows = conn.execute(
            sa.select(t).where(sa.func.coalesce(t.c.stopped_ms, t.c.heartbeat_ms)
                               >= now - STOPPED_SHOWN_MS)
            .order_by(t.c.location, t.c.started_ms, t.c.id)
        ).all()
    out = []
    for r in rows:
        age = max(0.0, (now - r.heartbeat_ms) / 1000)
        state = "stopped" if r.stopped_ms is not None else (
            "silent" if age > lease_s else "running")
        out.append(RunnerRow(
            r.id, r.location, r.host, r.pid, r.version, from_ms(r.started_ms),
            from_ms(r.heartbeat_ms), age, r.probes_owned if state == "running" else 0,
            r.probes_total, state))
    return out
