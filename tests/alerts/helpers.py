"""Small helpers shared by the alert service tests."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from storage.schema import alert_events, alert_outbox


def outbox(engine: sa.Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(alert_outbox).order_by(alert_outbox.c.id)))


def events(engine: sa.Engine, probe: str | None = None) -> list[tuple[str, str, str]]:
    query = sa.select(alert_events).order_by(alert_events.c.id)
    if probe:
        query = query.where(alert_events.c.probe == probe)
    with engine.connect() as conn:
        return [(r.from_state, r.to_state, r.reason) for r in conn.execute(query)]
