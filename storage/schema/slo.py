"""The SLO burn-rate alert tables (migration `0008_slo`): one row of alert memory per SLO target
(`slo_states_t`) and every change of its severity (`slo_events_t`). `alerts.slo_eval` writes
them, `storage.reads.slo` and the dashboard read them. A target is `integration` (an
integration's SLO over all its probes) or `integration/probe` (a probe's own SLO).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class SloStateRecord(SQLModel, table=True):
    __tablename__ = "slo_states"
    target: str = Field(sa_column=Column(String(401), primary_key=True))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    since_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    lower_since_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    notified: str | None = Field(default=None, sa_column=Column(String(16)))
    notified_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    page_notice_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    updated_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class SloEventRecord(SQLModel, table=True):
    __tablename__ = "slo_events"
    __table_args__ = (Index("ix_slo_events_target_at", "target", "at_ms"),)
    id: int | None = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    target: str = Field(sa_column=Column(String(401), nullable=False))
    from_severity: str = Field(sa_column=Column(String(16), nullable=False))
    to_severity: str = Field(sa_column=Column(String(16), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))


slo_states_t = table_of(SloStateRecord)
slo_events_t = table_of(SloEventRecord)
