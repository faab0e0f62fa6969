"""The `runners` table: one row per `serve` process that has run against this database, its
heartbeat and what it owns (docs/runners.md). `storage.runners` writes and reads it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class RunnerRecord(SQLModel, table=True):
    __tablename__ = "runners"
    __table_args__ = (Index("ix_runners_location_heartbeat", "location", "heartbeat_ms"),)
    id: str = Field(sa_column=Column(String(64), primary_key=True))
    location: str = Field(sa_column=Column(String(200), nullable=False))
    host: str = Field(sa_column=Column(String(255), nullable=False))
    pid: int = Field(sa_column=Column(Integer, nullable=False))
    version: str = Field(sa_column=Column(String(64), nullable=False))
    started_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    heartbeat_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    stopped_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    probes_owned: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))
    probes_total: int = Field(default=0, sa_column=Column(Integer, nullable=False, default=0))


runners_t = table_of(RunnerRecord)
