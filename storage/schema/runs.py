"""The catalog, run and rollup tables (SQLAlchemy Core on `storage.schema.base.metadata`).

`runs` is clustered on (probe_id, started_ms, id) — WITHOUT ROWID in SQLite — so a probe's time
range is one contiguous b-tree range and no secondary index is needed. Run ids are assigned by the
writer (a counter row in SQLite, a sequence in PostgreSQL) so steps can be written in the same
executemany without RETURNING; `run_steps` is clustered on (run_id, idx).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.schema.base import metadata

# PostgreSQL sequence for run ids (SQLite uses the id_counters row instead).
RUN_ID_SEQUENCE = sa.Sequence("run_id_seq", metadata=metadata)

integrations_t = sa.Table(
    "integrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("retired_ms", sa.BigInteger, nullable=True),
)

probes_t = sa.Table(
    "probes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("integration_id", sa.Integer, sa.ForeignKey("integrations.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("retired_ms", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("integration_id", "name", name="uq_probes_integration_name"),
)

# Runner location labels (`runner.location`), referenced by a small id from every run.
locations_t = sa.Table(
    "locations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
)

# Next free id per name (SQLite run ids; allocated under the write lock of the batch).
id_counters_t = sa.Table(
    "id_counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

runs_t = sa.Table(
    "runs",
    metadata,
    sa.Column("probe_id", sa.Integer, sa.ForeignKey("probes.id"), nullable=False),
    sa.Column("started_ms", sa.BigInteger, nullable=False),
    sa.Column("id", sa.BigInteger, nullable=False, autoincrement=False),
    sa.Column("status", sa.SmallInteger, nullable=False),
    sa.Column("latency_us", sa.Integer, nullable=False),
    sa.Column("attempts", sa.SmallInteger, nullable=False),
    sa.Column("location_id", sa.Integer, nullable=False),
    sa.Column("category", sa.SmallInteger, nullable=True),
    sa.Column("reason", sa.String(100), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("failed_step", sa.String(200), nullable=True),
    sa.Column("degraded_reason", sa.Text, nullable=True),
    sa.Column("credential_ttl_s", sa.Float, nullable=True),
    sa.Column("cert_days_left", sa.Float, nullable=True),
    sa.PrimaryKeyConstraint("probe_id", "started_ms", "id", name="pk_runs"),
    sqlite_with_rowid=False,
)

run_steps_t = sa.Table(
    "run_steps",
    metadata,
    sa.Column("run_id", sa.BigInteger, nullable=False, autoincrement=False),
    sa.Column("idx", sa.SmallInteger, nullable=False, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("status", sa.SmallInteger, nullable=False),
    sa.Column("http_status", sa.SmallInteger, nullable=True),
    sa.Column("latency_us", sa.Integer, nullable=True),
    sa.Column("dns_us", sa.Integer, nullable=True),
    sa.Column("connect_us", sa.Integer, nullable=True),
    sa.Column("tls_us", sa.Integer, nullable=True),
    sa.Column("ttfb_us", sa.Integer, nullable=True),
    sa.Column("transfer_us", sa.Integer, nullable=True),
    sa.Column("rl_limit", sa.BigInteger, nullable=True),
    sa.Column("rl_remaining", sa.BigInteger, nullable=True),
    sa.Column("rl_reset_s", sa.Float, nullable=True),
    sa.Column("rl_retry_after_s", sa.Float, nullable=True),
    sa.Column("category", sa.SmallInteger, nullable=True),
    sa.Column("reason", sa.String(100), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.PrimaryKeyConstraint("run_id", "idx", name="pk_run_steps"),
    sqlite_with_rowid=False,
)

# One probe-hour of runs (`storage.rollups.write`: every complete hour, raw runs kept until raw
# retention). `histogram` maps a latency bucket index (`storage.rollups.format.BUCKET_BOUNDS_US`)
# to a count; `categories` a category name to a count. The `cum_*` columns are running totals
# over the probe's rows up to and including this hour, so any span of hours is two lookups.
rollups_t = sa.Table(
    "run_rollups_hourly",
    metadata,
    sa.Column("probe_id", sa.Integer, sa.ForeignKey("probes.id"), nullable=False),
    sa.Column("hour_ms", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("ok", sa.Integer, nullable=False),
    sa.Column("degraded", sa.Integer, nullable=False),
    sa.Column("failed", sa.Integer, nullable=False),
    sa.Column("latency_sum_us", sa.BigInteger, nullable=False),
    sa.Column("latency_min_us", sa.Integer, nullable=False),
    sa.Column("latency_max_us", sa.Integer, nullable=False),
    sa.Column("histogram", sa.JSON, nullable=False),
    sa.Column("categories", sa.JSON, nullable=False),
    sa.Column("cum_count", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("cum_good", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("cum_failed", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("cum_latency_sum_us", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("cum_histogram", sa.JSON, nullable=False, server_default="{}"),
    sa.PrimaryKeyConstraint("probe_id", "hour_ms", name="pk_run_rollups_hourly"),
)

# One row (id 1): every hour before `rolled_through_ms` is in `run_rollups_hourly` (NULL:
# nothing rolled up yet).
rollup_state_t = sa.Table(
    "rollup_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("rolled_through_ms", sa.BigInteger, nullable=True),
)

# Runs inserted for an hour already rolled up, queued by a database trigger on `runs` (in the
# inserting transaction) until `storage.rollups.write` adds them to their rollup row.
late_runs_t = sa.Table(
    "rollup_late_runs",
    metadata,
    sa.Column("run_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("probe_id", sa.Integer, nullable=False),
    sa.Column("started_ms", sa.BigInteger, nullable=False),
    sa.Column("status", sa.SmallInteger, nullable=False),
    sa.Column("latency_us", sa.Integer, nullable=False),
    sa.Column("category", sa.SmallInteger, nullable=True),
)

RUN_TABLES: tuple[sa.Table, ...] = (
    integrations_t, probes_t, locations_t, id_counters_t, runs_t, run_steps_t, rollups_t,
    rollup_state_t, late_runs_t,
)
