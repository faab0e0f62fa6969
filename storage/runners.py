"""The runner registry (`runners` table): a `serve` process registers itself, heartbeats and
reads the other runners of its location (docs/runners.md, "Work shared within a location").

Heartbeats and liveness use the database's clock on PostgreSQL, so runners whose clocks
disagree still agree on who is alive.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from storage.codes import now_ms
from storage.database import Store
from storage.schema.runners import runners_t

_PG_NOW_MS = sa.text("SELECT floor(extract(epoch from clock_timestamp()) * 1000)::bigint")


@dataclass(frozen=True, slots=True)
class RunnerInfo:
    id: str
    location: str
    host: str
    pid: int
    version: str


@dataclass(frozen=True, slots=True)
class Member:
    """Another runner of the same location as last read (times are the database's)."""

    id: str
    started_ms: int
    heartbeat_ms: int
    stopped_ms: int | None


def db_now_ms(conn: sa.Connection) -> int:
    if conn.dialect.name == "sqlite":
        return now_ms()
    return int(conn.execute(_PG_NOW_MS).scalar_one())


FORGET_MS = 7 * 24 * 3600 * 1000  # rows of runners gone this long are deleted at a start


def register(store: Store, info: RunnerInfo, probes_total: int) -> int:
    """Insert this runner's row (and forget runners gone for a week); returns its start time
    (database clock)."""
    t = runners_t
    with store.write() as conn:
        now = db_now_ms(conn)
        conn.execute(t.delete().where(
            sa.func.coalesce(t.c.stopped_ms, t.c.heartbeat_ms) < now - FORGET_MS))
        conn.execute(runners_t.insert().values(
            id=info.id, location=info.location, host=info.host[:255], pid=info.pid,
            version=info.version[:64], started_ms=now, heartbeat_ms=now,
            probes_owned=0, probes_total=probes_total,
        ))
    return now


def heartbeat(
    store: Store, runner_id: str, location: str, probes_owned: int, probes_total: int,
    forget_after_ms: int,
) -> tuple[int, list[Member]]:
    """Record that this runner is alive and read its location's runners (those not stopped
    nor silent for `forget_after_ms`). Returns the database's time and the members."""
    t = runners_t
    with store.write() as conn:
        now = db_now_ms(conn)
        conn.execute(t.update().where(t.c.id == runner_id).values(
            heartbeat_ms=now, probes_owned=probes_owned, probes_total=probes_total))
        rows = conn.execute(
            sa.select(t.c.id, t.c.started_ms, t.c.heartbeat_ms, t.c.stopped_ms).where(
                t.c.location == location, t.c.heartbeat_ms >= now - forget_after_ms)
        ).all()
    return now, [Member(r.id, r.started_ms, r.heartbeat_ms, r.stopped_ms) for r in rows]


def unregister(store: Store, runner_id: str) -> None:
    """Mark this runner stopped (its row stays for `seamwatch status` until it is forgotten)."""
    with store.write() as conn:
        conn.execute(runners_t.update().where(runners_t.c.id == runner_id)
                     .values(stopped_ms=db_now_ms(conn), probes_owned=0))
