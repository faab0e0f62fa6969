"""Every seamwatch table, on one `metadata` (the target of the Alembic migrations in
`storage/migrations`): the catalog, runs and rollups (`runs.py`) and the alert tables
(`alerts.py`). docs/architecture.md, "Tables", describes them."""

from __future__ import annotations

from storage.schema.alerts import (
    ALERT_TABLES,
    alert_events,
    alert_notices,
    alert_outbox,
    alert_states,
)
from storage.schema.base import metadata
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
    "alert_events",
    "alert_notices",
    "alert_outbox",
    "alert_states",
    "id_counters_t",
    "integrations_t",
    "late_runs_t",
    "locations_t",
    "metadata",
    "probes_t",
    "rollup_state_t",
    "rollups_t",
    "run_steps_t",
    "runs_t",
]
