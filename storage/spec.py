"""The `storage:` block of the config file."""

from __future__ import annotations

from pydantic import Field

from core.model import StrictModel
from core.types import Duration


class StorageSpec(StrictModel):
    url: str = Field(
        "sqlite:///seamwatch.db",
        description="sqlite:///relative/or/absolute.db or postgresql+psycopg://user:pass@host/db",
    )
    raw_retention: Duration = Field(30 * 86400.0, gt=0, description="raw runs older are deleted")
    rollup_retention: Duration = Field(
        400 * 86400.0, gt=0, description="hourly rollups older are deleted"
    )
    batch_size: int = Field(1000, ge=1, le=100000, description="runs written per transaction")
    flush_interval: Duration = Field(0.5, gt=0, description="longest a run waits to be written")
