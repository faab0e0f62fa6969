"""Upserting what a batch of runs saw will expire into `expiries` (storage/schema/expiries.py),
in the batch's transaction. One row per (integration, kind, subject): the newest observation
wins (an older one arriving late changes nothing); a changed expiry keeps the one before it
(`previous_expires_ms`, a renewal) and the longest lifetime seen is kept, so a provider that
silently shortens its tokens shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from probes.result import ProbeResult
from storage.codes import to_ms
from storage.schema.expiries import expiries_t

_SAME_MS = 1_000  # a re-read of the same expiry (rounding, clock skew) is not a change


def expiry_rows(results: Sequence[ProbeResult]) -> list[dict[str, Any]]:
    """The rows to upsert: per key, the newest run's observation."""
    newest: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in results:
        seen_ms = to_ms(r.started_at)
        for e in r.expiries:
            key = (r.integration, str(e.kind), e.subject[:200])
            if key in newest and newest[key]["last_seen_ms"] > seen_ms:
                continue
            lifetime = None if e.lifetime_s is None else int(e.lifetime_s * 1000)
            newest[key] = {
                "integration": key[0], "kind": key[1], "subject": key[2], "probe": r.probe,
                "expires_ms": int(e.expires_at_s * 1000), "lifetime_ms": lifetime,
                "longest_lifetime_ms": lifetime, "first_seen_ms": seen_ms,
                "last_seen_ms": seen_ms,
            }
    return list(newest.values())


def record_expiries(conn: sa.Connection, results: Sequence[ProbeResult]) -> int:
    rows = expiry_rows(results)
    if not rows:
        return 0
    t = expiries_t
    insert = (sqlite if conn.dialect.name == "sqlite" else postgresql).insert(t)
    new = insert.excluded
    changed = sa.func.abs(new.expires_ms - t.c.expires_ms) > _SAME_MS
    conn.execute(insert.on_conflict_do_update(
        index_elements=[t.c.integration, t.c.kind, t.c.subject],
        set_={
            "probe": new.probe,
            "expires_ms": new.expires_ms,
            "lifetime_ms": new.lifetime_ms,
            "longest_lifetime_ms": sa.case(
                (t.c.longest_lifetime_ms.is_(None), new.lifetime_ms),
                (new.lifetime_ms > t.c.longest_lifetime_ms, new.lifetime_ms),
                else_=t.c.longest_lifetime_ms),
            "last_seen_ms": new.last_seen_ms,
            "previous_expires_ms": sa.case((changed, t.c.expires_ms),
                                           else_=t.c.previous_expires_ms),
        },
        where=new.last_seen_ms >= t.c.last_seen_ms,
    ), rows)
    return len(rows)
