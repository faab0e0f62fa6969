"""The drift tables (SQLModel classes on `storage.schema.base.metadata`, used through their Core
handles; created by migration `0006_drift`). `storage.baselines` writes and reads them,
`storage.reads.drift` reads them for the dashboard.

- `drift_baselines_t`: one row per HTTP step with a JSON response: its learned shape (a genson
  JSON Schema: types and keys, never values), statuses, media types, digests of enum-like
  values, whether it is frozen, and the latest drifted shape awaiting `baseline accept`.
  `generation` grows with each accept or reset, so a process holding an older copy reloads it.
- `drift_events_t`: the drift history: each change the first time it is seen under a
  generation (rule, level, JSONPath, old and new types, an example shape), and each baseline
  learned, accepted or reset.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class DriftBaselineRecord(SQLModel, table=True):
    __tablename__ = "drift_baselines"
    __table_args__ = (Index("ix_drift_baselines_updated", "updated_ms"),)
    integration: str = Field(sa_column=Column(String(200), primary_key=True))
    probe: str = Field(sa_column=Column(String(200), primary_key=True))
    step: str = Field(sa_column=Column(String(200), primary_key=True))
    generation: int = Field(sa_column=Column(Integer, nullable=False))
    frozen: bool = Field(sa_column=Column(Boolean, nullable=False))
    samples: int = Field(sa_column=Column(Integer, nullable=False))
    schema_: dict[str, Any] | None = Field(
        default=None, sa_column=Column("schema", JSON, nullable=True))
    statuses: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    media_types: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False))
    enums: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    pending: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    frozen_ms: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class DriftEventRecord(SQLModel, table=True):
    __tablename__ = "drift_events"
    __table_args__ = (
        Index("ix_drift_events_probe_at", "integration", "probe", "at_ms"),
    )
    id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    integration: str = Field(sa_column=Column(String(200), nullable=False))
    probe: str = Field(sa_column=Column(String(200), nullable=False))
    step: str = Field(sa_column=Column(String(200), nullable=False))
    generation: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    rule: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    level: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    path: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    old: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    example: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


drift_baselines_t = table_of(DriftBaselineRecord)
drift_events_t = table_of(DriftEventRecord)

DRIFT_TABLES: tuple[Table, ...] = (drift_baselines_t, drift_events_t)
