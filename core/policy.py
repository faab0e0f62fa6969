"""The `alerts:` policy block, set at `defaults.alerts`, an integration's `alerts` or a probe's.

It lives on the ground floor because two layers read it: probes/ (the degraded rules, through the
`RunPolicy` the config resolves) and alerts/ (thresholds and recipients).
"""

from __future__ import annotations

import math

from pydantic import Field, field_validator

from core.model import StrictModel
from core.types import Duration


class RateLimitForecast(StrictModel):
    """`rate_limit_forecast: {within: 15m}`: a run is degraded when a rate-limit quota is
    predicted to run out before it resets, within `within` (probes/quota.py)."""

    within: Duration = Field(description="how far ahead a predicted exhaustion counts")
    notify: bool = Field(
        False, description="send a QUOTA notice when a probe stays degraded by the forecast "
        "(even without notify_degraded)")


class AlertPolicy(StrictModel):
    """When a probe's alert state changes. Set at `defaults.alerts`, an integration's `alerts` or
    a probe's `alerts`; each level overrides only the keys it sets."""

    failure_threshold: int = Field(3, ge=1, description="failed runs in a row before firing")
    recovery_threshold: int = Field(2, ge=1, description="good runs in a row before resolving")
    degraded_latency: Duration | None = Field(
        None, description="a passing run slower than this is degraded"
    )
    min_rate_limit_headroom: float | None = Field(
        None, ge=0, le=1, description="a run with remaining/limit under this is degraded"
    )
    rate_limit_forecast: RateLimitForecast | None = Field(
        None, description="degrade a run when a quota is predicted to run out before it resets"
    )
    expiry_warning: list[Duration] = Field(
        default_factory=lambda: [30 * 86400.0, 7 * 86400.0, 86400.0],
        description="warn this long before a credential, secret or certificate expires: one "
        "EXPIRING notice per threshold crossed",
    )
    notify_degraded: bool = Field(False, description="email when a probe stays degraded")
    to: list[str] = Field(default_factory=list, description="extra recipients for this scope")
    min_failed_locations: float = Field(
        1, gt=0, description="locations failing at once before the probe counts as failing: a "
        "number (2) or a fraction of the locations reporting (0.5); fewer is `degraded`",
    )

    @field_validator("min_failed_locations")
    @classmethod
    def _count_or_fraction(cls, value: float) -> float:
        if value > 1 and value != int(value):
            raise ValueError("expected a whole number of locations (2) or a fraction up to 1 "
                             f"(0.5), got {value:g}")
        return value

    def failing_needed(self, locations: int) -> int:
        """How many of `locations` reporting must fail for the probe to count as failing."""
        q = self.min_failed_locations
        return max(1, int(q) if q >= 1 else math.ceil(q * locations - 1e-9))
