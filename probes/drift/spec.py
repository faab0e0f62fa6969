"""The `drift:` block: whether an HTTP probe learns its responses' shapes, for how many runs,
and what a change does to the run. Set at `defaults.drift` or a probe's `drift`; the probe's
keys override the defaults' key by key (seamwatch/config/resolve.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.model import StrictModel

OnBreaking = Literal["fail", "degrade", "record"]
OnWarning = Literal["degrade", "record"]


class DriftPolicy(StrictModel):
    enabled: bool = Field(True, description="learn response shapes and report their drift")
    learn_runs: int = Field(
        20, ge=1, le=100_000, description="successful runs learned before the baseline freezes"
    )
    on_breaking: OnBreaking = Field(
        "fail", description="a breaking change: fail the run, degrade it, or only record it"
    )
    on_warning: OnWarning = Field(
        "record", description="a warning-level change: degrade the run or only record it"
    )
