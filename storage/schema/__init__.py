"""Every seamwatch table, on one `metadata` (the target of the Alembic migrations in
`storage/migrations`): the catalog, runs and rollups (`runs.py`), the alert tables with the
`AlertEvent` row type (`alerts.py`), the drift baselines and events (`drift.py`), the
inbound endpoints' last-seen times (`inbound.py`), the SLO burn-rate tables (`slo.py`), what
runs saw will expire (`expiries.py`) and the runner registry (`runners.py`).
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
from storage.schema.drift import DRIFT_TABLES, drift_baselines_t, drift_events_t
from storage.schema.expiries import expiries_t
from storage.schema.inbound import inbound_seen_t
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
from storage.schema.slo import slo_events_t, slo_states_t

__all__ = [
    "ALERT_TABLES",
    "DRIFT_TABLES",
    "RUN_ID_SEQUENCE",
    "RUN_TABLES",
    "AlertEvent",
    "alert_events_t",
    "alert_notices_t",
    "alert_outbox_t",
    "alert_states_t",
    "drift_baselines_t",
    "drift_events_t",
    "expiries_t",
    "id_counters_t",
    "inbound_seen_t",
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
    "slo_events_t",
    "slo_states_t",
]
