"""Small helpers shared by the alert service tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from storage.database import Store
from storage.schema.alerts import alert_events_t, alert_outbox_t


def outbox(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(sa.select(alert_outbox_t).order_by(alert_outbox_t.c.id)))


def events(store: Store, probe: str | None = None) -> list[tuple[str, str, str]]:
    query = sa.select(alert_events_t).order_by(alert_events_t.c.id)
    if probe:
        query = query.where(alert_events_t.c.probe == probe)
    with store.engine.connect() as conn:
        return [(r.from_state, r.to_state, r.reason) for r in conn.execute(query)]
