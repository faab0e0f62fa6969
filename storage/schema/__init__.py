"""Every seamwatch table, on one `metadata` (the target of the Alembic migrations in
`storage/migrations`): the catalog, runs and rollups (`runs.py`), the alert tables with the
`AlertEvent` row type (`alerts.py`) and the runner registry (`runners.py`).
docs/architecture.md, "Tables", describes them."""

from __future__ import annotations

from storage.schema.alerts import (
    ALERT_TABLES,
    AlertEvent,
    alert_events_t,
    alert_notices_t,
    alert_outbox_t,
    alert_states_t,
)
from storage.schema.base import metadata
from storage.schema.runners import runners_t
from storage.schema.runs import (
    RUN_ID_SEQUENCE,
    RUN_TABLES,
    id_counters_t,
    integrations_t,
    late_runs_t,
    locations_t,
    probes_t,
    rollup_state_t,
    rollups_t,
    run_steps_t,
    runs_t,
)

__all__ = [
    "ALERT_TABLES",
    "RUN_ID_SEQUENCE",
    "RUN_TABLES",
    "AlertEvent",
    "alert_events_t",
    "alert_notices_t",
    "alert_outbox_t",
    "alert_states_t",
    "id_counters_t",
    "integrations_t",
    "late_runs_t",
    "locations_t",
    "metadata",
    "probes_t",
    "rollup_state_t",
    "rollups_t",
    "run_steps_t",
    "runners_t",
    "runs_t",
]
