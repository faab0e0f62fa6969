"""The `slo:` block (a service level objective), set on a probe, an integration or in `defaults:`.

It lives on the ground floor because three layers read it: alerts/ (burn-rate alerts), the
`report` command and the dashboard. What counts as a good run, and the burn-rate windows, are in
`alerts/burn.py` (see docs/architecture.md, "Packages").
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator

from core.model import StrictModel
from core.types import Duration

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def parse_objective(value: Any) -> float:
    """`99.9%`, `"99.9"`, `99.9` or `0.999` -> 0.999 (the fraction of runs that must be good)."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage such as 99.9%")
    if isinstance(value, str):
        found = _PERCENT.match(value)
        try:
            number = float(found.group(1)) if found else float(value)
        except ValueError:
            raise ValueError(f"expected a percentage such as 99.9%, got {value!r}") from None
        percent = bool(found) or number > 1
    elif isinstance(value, (int, float)):
        number, percent = float(value), float(value) > 1
    else:
        raise ValueError("expected a percentage such as 99.9%")
    fraction = number / 100 if percent else number
    if not 0 < fraction < 1:
        raise ValueError(f"an objective must be above 0% and below 100%, got {value!r}")
    return fraction


Objective = Annotated[float, BeforeValidator(parse_objective)]


class SloSpec(StrictModel):
    """`slo: {objective: 99.9%, window: 30d}`: the share of runs that must be good (ok or
    degraded; silenced runs excluded) over a rolling window, and its burn-rate alert guards."""

    objective: Objective = Field(description="share of good runs, e.g. 99.9%")
    window: Duration = Field(30 * 86400.0, gt=0, description="rolling SLO window")
    min_runs: int = Field(
        3, ge=1, description="runs the short window of a burn-rate pair must hold before it "
        "can alert (one run of a slow probe is not a rate)")
    min_failed: int = Field(
        2, ge=1, description="failed runs the long window of a pair must hold before it can "
        "alert (one failed run never pages)")
    alerts: bool = Field(True, description="send burn-rate emails (false: dashboard and report "
                         "only)")

    @field_validator("window")
    @classmethod
    def _window_holds_the_ticket(cls, value: float) -> float:
        if value < 3 * 86400:
            raise ValueError("must be at least 3d (the ticket alert's long window)")
        return value

    @property
    def budget(self) -> float:
        """The error budget: the share of runs allowed to fail."""
        return 1.0 - self.objective
