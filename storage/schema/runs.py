"""The catalog, run and rollup tables (SQLModel classes on `storage.schema.base.metadata`; the code
reads and writes them through the Core handles `*_t` at the end).

`runs` is clustered on (probe_id, started_ms, id) — WITHOUT ROWID in SQLite — so a probe's time
range is one contiguous b-tree range and no secondary index is needed. Run ids are assigned by the
writer (a counter row in SQLite, a sequence in PostgreSQL) so steps can be written in the same
executemany without RETURNING; `run_steps` is clustered on (run_id, idx).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Integer,
    PrimaryKeyConstraint,
    Sequence,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.schema.base import metadata, table_of

# PostgreSQL sequence for run ids (SQLite uses the id_counters row instead).
RUN_ID_SEQUENCE = Sequence("run_id_seq", metadata=metadata)


class Integration(SQLModel, table=True):
    __tablename__ = "integrations"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    description: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired_ms: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Probe(SQLModel, table=True):
    __tablename__ = "probes"
    __table_args__ = (
        UniqueConstraint("integration_id", "name", name="uq_probes_integration_name"),
    )
    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(
        sa_column=Column(Integer, ForeignKey("integrations.id"), nullable=False)
    )
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    retired_ms: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class Location(SQLModel, table=True):
    """Runner location labels (`runner.location`), referenced by a small id from every run."""

    __tablename__ = "locations"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String(200), nullable=False, unique=True))


class IdCounter(SQLModel, table=True):
    """Next free id per name (SQLite run ids; allocated under the write lock of the batch)."""

    __tablename__ = "id_counters"
    name: str = Field(sa_column=Column(String(32), primary_key=True))
    value: int = Field(sa_column=Column(BigInteger, nullable=False))


class Run(SQLModel, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        PrimaryKeyConstraint("probe_id", "started_ms", "id", name="pk_runs"),
        {"sqlite_with_rowid": False},
    )
    probe_id: int = Field(sa_column=Column(Integer, ForeignKey("probes.id"), nullable=False))
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    id: int = Field(sa_column=Column(BigInteger, nullable=False, autoincrement=False))
    status: int = Field(sa_column=Column(SmallInteger, nullable=False))
    latency_us: int = Field(sa_column=Column(Integer, nullable=False))
    attempts: int = Field(sa_column=Column(SmallInteger, nullable=False))
    location_id: int = Field(sa_column=Column(Integer, nullable=False))
    category: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    failed_step: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
    degraded_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    credential_ttl_s: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    cert_days_left: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class RunStep(SQLModel, table=True):
    __tablename__ = "run_steps"
    __table_args__ = (
        PrimaryKeyConstraint("run_id", "idx", name="pk_run_steps"),
        {"sqlite_with_rowid": False},
    )
    run_id: int = Field(sa_column=Column(BigInteger, nullable=False, autoincrement=False))
    idx: int = Field(sa_column=Column(SmallInteger, nullable=False, autoincrement=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    status: int = Field(sa_column=Column(SmallInteger, nullable=False))
    http_status: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    latency_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    dns_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    connect_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    tls_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    ttfb_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    transfer_us: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    rl_limit: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    rl_remaining: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    rl_reset_s: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    rl_retry_after_s: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    rl_policy: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    category: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RunRollupHourly(SQLModel, table=True):
    """One probe-hour of runs (`storage.rollups.write`: every complete hour, raw runs kept until
    raw retention). `histogram` maps a latency bucket index
    (`storage.rollups.format.BUCKET_BOUNDS_US`) to a count; `categories` a category name to a
    count. The `cum_*` columns are running totals over
    the probe's rows up to and including this hour, so any span of hours is two lookups."""

    __tablename__ = "run_rollups_hourly"
    __table_args__ = (PrimaryKeyConstraint("probe_id", "hour_ms", name="pk_run_rollups_hourly"),)
    probe_id: int = Field(sa_column=Column(Integer, ForeignKey("probes.id"), nullable=False))
    hour_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    count: int = Field(sa_column=Column(Integer, nullable=False))
    ok: int = Field(sa_column=Column(Integer, nullable=False))
    degraded: int = Field(sa_column=Column(Integer, nullable=False))
    failed: int = Field(sa_column=Column(Integer, nullable=False))
    latency_sum_us: int = Field(sa_column=Column(BigInteger, nullable=False))
    latency_min_us: int = Field(sa_column=Column(Integer, nullable=False))
    latency_max_us: int = Field(sa_column=Column(Integer, nullable=False))
    histogram: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    categories: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    cum_count: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))
    cum_good: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))
    cum_failed: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))
    cum_latency_sum_us: int = Field(
        sa_column=Column(BigInteger, nullable=False, server_default="0"))
    cum_histogram: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}"))


class RollupState(SQLModel, table=True):
    """One row (id 1): every hour before `rolled_through_ms` is in `run_rollups_hourly` (NULL:
    nothing rolled up yet)."""

    __tablename__ = "rollup_state"
    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    rolled_through_ms: int | None = Field(
        default=None, sa_column=Column(BigInteger, nullable=True))


class RollupLateRun(SQLModel, table=True):
    """Runs inserted for an hour already rolled up, queued by a database trigger on `runs` (in
    the inserting transaction) until `storage.rollups.write` adds them to their rollup row."""

    __tablename__ = "rollup_late_runs"
    run_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    probe_id: int = Field(sa_column=Column(Integer, nullable=False))
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: int = Field(sa_column=Column(SmallInteger, nullable=False))
    latency_us: int = Field(sa_column=Column(Integer, nullable=False))
    category: int | None = Field(default=None, sa_column=Column(SmallInteger, nullable=True))


integrations_t = table_of(Integration)
probes_t = table_of(Probe)
locations_t = table_of(Location)
id_counters_t = table_of(IdCounter)
runs_t = table_of(Run)
run_steps_t = table_of(RunStep)
rollups_t = table_of(RunRollupHourly)
rollup_state_t = table_of(RollupState)
late_runs_t = table_of(RollupLateRun)

RUN_TABLES: tuple[Table, ...] = (
    integrations_t, probes_t, locations_t, id_counters_t, runs_t, run_steps_t, rollups_t,
    rollup_state_t, late_runs_t,
)
