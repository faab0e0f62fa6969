"""What every probe kind's spec shares: strict models, the name pattern and the common probe keys.

Kept apart from probes/spec.py so each kind's slice of the schema (probes/spec.py,
probes/kindspec.py) can build on it without importing the other.
"""

from __future__ import annotations

from pydantic import Field

from core.model import NAME_PATTERN, StrictModel
from core.policy import AlertPolicy
from core.types import Duration


class ProbeCommon(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    enabled: bool = True
    interval: Duration = Field(60.0, gt=0)
    timeout: Duration = Field(10.0, gt=0, description="whole run, all steps and retries")
    retries: int = Field(1, ge=0, le=10, description="extra attempts after a failure")
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
