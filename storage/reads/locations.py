"""Per-location read model: each probe's latest run, p95 latency (1 h) and uptime (24 h) as
seen from each location that ran it in the last day (same definitions as
`storage.reads.queries.probe_status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from probes.result import Category, RunStatus
from storage.codes import RUN_STATUS, category_name, from_ms, from_us, now_ms, to_ms
from storage.database import Store
from storage.reads.queries import DAY_MS, rank_sql
from storage.rollups.format import HOUR_MS
from storage.schema.runs import locations_t


@dataclass(slots=True)
class LocationStatus:
    integration: str
    probe: str
    location: str
    last_started_at: datetime
    last_status: RunStatus
    last_category: Category | None
    last_reason: str | None
    last_latency_ms: float | None
    runs_24h: int = 0
    uptime_24h: float | None = None  # percent
    p95_latency_ms_1h: float | None = None


_LAST = sa.text(
    """
    SELECT i.name, p.name, l.name, r.probe_id, r.location_id, r.started_ms, r.status,
           r.category, r.reason, r.latency_us
    FROM runs r
    JOIN (SELECT probe_id, location_id, max(started_ms) AS last_ms FROM runs
          WHERE started_ms > :day AND started_ms <= :now GROUP BY probe_id, location_id) x
      ON x.probe_id = r.probe_id AND x.location_id = r.location_id AND x.last_ms = r.started_ms
    JOIN probes p ON p.id = r.probe_id JOIN integrations i ON i.id = p.integration_id
    JOIN locations l ON l.id = r.location_id
    WHERE p.retired_ms IS NULL
    ORDER BY i.name, p.name, l.name, r.id
    """
)
_UPTIME = sa.text(
    """
    SELECT probe_id, location_id, count(*), sum(CASE WHEN status < 2 THEN 1 ELSE 0 END)
    FROM runs WHERE started_ms > :day AND started_ms <= :now GROUP BY probe_id, location_id
    """
)
_P95 = sa.text(
    f"""
    SELECT probe_id, location_id, latency_us FROM (
        SELECT probe_id, location_id, latency_us,
               row_number() OVER (PARTITION BY probe_id, location_id ORDER BY latency_us) AS rn,
               count(*) OVER (PARTITION BY probe_id, location_id) AS n
        FROM runs WHERE started_ms > :hour AND started_ms <= :now) q
    WHERE rn = {rank_sql(95)}
    """
)


def location_status(store: Store, now: datetime | None = None) -> list[LocationStatus]:
    """One row per (probe, location) with a run in the last day, by integration, probe,
    location."""
    t = to_ms(now) if now is not None else now_ms()
    params = {"now": t, "hour": t - HOUR_MS, "day": t - DAY_MS}
    out: dict[tuple[int, int], LocationStatus] = {}
    with store.engine.connect() as conn:
        for integ, probe, loc, pid, lid, started, status, cat, reason, lat in conn.execute(
            _LAST, params
        ):
            out[(pid, lid)] = LocationStatus(
                integ, probe, loc, from_ms(started), RUN_STATUS[status], category_name(cat),
                reason, from_us(lat))
        for pid, lid, total, good in conn.execute(_UPTIME, params):
            if (row := out.get((pid, lid))) is not None:
                row.runs_24h, row.uptime_24h = int(total), 100.0 * int(good) / int(total)
        for pid, lid, lat in conn.execute(_P95, params):
            if (row := out.get((pid, lid))) is not None:
                row.p95_latency_ms_1h = from_us(lat)
    return list(out.values())


def location_names(store: Store) -> list[str]:
    """Every location that ever recorded a run (the small `locations` catalog: cheap enough for
    a page's filter on a cold start, unlike `location_status`)."""
    with store.engine.connect() as conn:
        return sorted(conn.execute(sa.select(locations_t.c.name)).scalars())
