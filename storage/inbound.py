"""The last authentic heartbeat or webhook per probe (`inbound_seen`), written by `serve` every
few seconds and at its stop, read at its start (seamwatch/serve.py)."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.database import Store
from storage.schema import inbound_seen_t


def load_seen(store: Store, probe_ids: Mapping[str, int]) -> dict[str, float]:
    """{"integration/probe": unix seconds} of the probes in `probe_ids` that were ever seen."""
    keys = {pid: key for key, pid in probe_ids.items()}
    t = inbound_seen_t
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.probe_id, t.c.last_seen_ms)
                            .where(t.c.probe_id.in_(list(keys)))).all()
    return {keys[pid]: seen_ms / 1000.0 for pid, seen_ms in rows}


def save_seen(store: Store, probe_ids: Mapping[str, int], seen: Mapping[str, float]) -> int:
    """Upsert the times (never moving one back); returns the rows written."""
    rows = [{"probe_id": probe_ids[key], "last_seen_ms": int(at * 1000)}
            for key, at in seen.items() if key in probe_ids]
    if not rows:
        return 0
    t = inbound_seen_t
    with store.write() as conn:
        dialect = sqlite if store.is_sqlite else postgresql
        insert = dialect.insert(t)
        excluded = insert.excluded.last_seen_ms
        conn.execute(insert.on_conflict_do_update(
            index_elements=[t.c.probe_id],
            set_={"last_seen_ms": sa.func.max(t.c.last_seen_ms, excluded) if store.is_sqlite
                  else sa.func.greatest(t.c.last_seen_ms, excluded)}), rows)
    return len(rows)
