"""The `storage:` block of the config file."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from core.model import StrictModel
from core.types import Duration

# /healthz turns unhealthy after max(this, HEALTH_FLUSH_FACTOR × flush_interval) of write delay.
HEALTH_MIN_DELAY_S = 60.0
HEALTH_FLUSH_FACTOR = 20


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
    flush_interval: Duration = Field(
        1.0, gt=0, description="longest a run waits to be written (each write is one transaction "
        "and one alert evaluation: fewer, larger batches cost less CPU per run)")
    max_buffered_runs: int = Field(
        20000, ge=1,
        description="unwritten runs held in memory while the database takes no writes; the "
        "overflow is spilled to runner.state_dir/unwritten-runs.jsonl and written back later",
    )
    shutdown_timeout: Duration = Field(
        30.0, gt=0,
        description="longest `serve` waits at stop for the database; unwritten runs are then "
        "spilled to runner.state_dir and written at the next start",
    )
    unhealthy_after: Annotated[Duration, Field(gt=0)] | None = Field(
        None,
        description="/healthz answers 503 once the oldest unwritten run (or an unbroken series "
        "of failed writes) is older; default max(60s, 20 × flush_interval)",
    )

    @property
    def health_delay_s(self) -> float:
        """The write delay after which `serve` reports itself unhealthy."""
        if self.unhealthy_after is not None:
            return self.unhealthy_after
        return max(HEALTH_MIN_DELAY_S, HEALTH_FLUSH_FACTOR * self.flush_interval)
