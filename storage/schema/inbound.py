"""`inbound_seen`: when each heartbeat or webhook endpoint last received an authentic request,
so `serve` resumes its clocks after a restart (storage/inbound.py; docs/architecture.md,
"Tables")."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class InboundSeen(SQLModel, table=True):
    __tablename__ = "inbound_seen"
    probe_id: int = Field(sa_column=Column(Integer, ForeignKey("probes.id"), primary_key=True,
                                           autoincrement=False))
    last_seen_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


inbound_seen_t = table_of(InboundSeen)
