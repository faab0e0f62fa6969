"""`expiries`: one row per thing a run saw will expire (a token, a refresh token, a declared
date, a certificate of an HTTPS origin or of a tls probe's chain), keyed by integration, kind and
subject; upserted by ingest (storage/ingest/expiries.py), read by `status`, the dashboard and
`/metrics`, and used by the expiry warnings (alerts/expiry.py). docs/architecture.md, "Tables"."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field, SQLModel

from storage.schema.base import table_of


class ExpiryRecord(SQLModel, table=True):
    __tablename__ = "expiries"
    integration: str = Field(sa_column=Column(String(200), primary_key=True))
    kind: str = Field(sa_column=Column(String(20), primary_key=True))
    subject: str = Field(sa_column=Column(String(200), primary_key=True))
    probe: str = Field(sa_column=Column(String(200), nullable=False))  # the probe that saw it last
    expires_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    lifetime_ms: int | None = Field(default=None, sa_column=Column(BigInteger))  # as issued
    longest_lifetime_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    first_seen_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seen_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    previous_expires_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    # The warnings sent (alerts/expiry.py): the smallest threshold crossed, in ms before the
    # expiry, and which expiry it was about (a renewal moves expires_ms past it).
    warned_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    warned_for_ms: int | None = Field(default=None, sa_column=Column(BigInteger))


expiries_t = table_of(ExpiryRecord)
