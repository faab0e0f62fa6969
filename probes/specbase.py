"""What every probe kind's spec shares: strict models, the name pattern and the common probe keys.

Kept apart from probes/spec.py so each kind's slice of the schema (probes/spec.py,
probes/kindspec.py) can build on it without importing the other.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from alerts.spec import AlertPolicy
from seamwatch.types import Duration

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ProbeCommon(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    enabled: bool = True
    interval: Duration = Field(60.0, gt=0)
    timeout: Duration = Field(10.0, gt=0, description="whole run, all steps and retries")
    retries: int = Field(1, ge=0, le=10, description="extra attempts after a failure")
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
