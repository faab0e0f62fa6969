"""Runs from several locations, seen as one probe (docs/runners.md, "Locations and quorum").

Each probe's state keeps every location's latest run. A run is handed to the state machine as
what the locations say together:

- at least `alerts.min_failed_locations` of the locations reporting are failing: a failed run
  (the failure of the location that failed last, its message saying from where);
- fewer, but some: a degraded run naming the failing locations (so a failure seen from one
  place only shows as `degraded` and never fires, unless the quorum is 1, the default);
- none: the run as it is.

A quorum above the number of locations reporting is lowered to that number (a probe run from
one place alone still fires). With the default quorum of 1 a run passes through unchanged,
except that with several locations reporting, a failure names where it was seen from and a
passing run from one place does not hide a failure from another. A location that has sent no
run for three intervals no longer counts (its runners are gone).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from alerts.state import ProbeState
from core.policy import AlertPolicy
from probes.result import Category, Failure, ProbeResult, RunStatus
from storage.codes import to_ms


def _snapshot(run: ProbeResult) -> dict[str, Any] | None:
    if run.failure is None:
        return None
    return {"category": str(run.failure.category), "reason": run.failure.reason,
            "message": run.failure.message, "step": run.failed_step}


def failing_locations(st: ProbeState) -> list[str]:
    return sorted(loc for loc, seen in st.locations.items() if seen.get("failed"))


def failing_from(st: ProbeState) -> str | None:
    """"eu, us": where the probe is failing, when more than one location reports it."""
    failing = failing_locations(st)
    return ", ".join(failing) if failing and len(st.locations) > 1 else None


def seen_across_locations(
    st: ProbeState, run: ProbeResult, policy: AlertPolicy, stale_ms: int
) -> ProbeResult:
    """Record `run` as its location's latest and return the run the state machine should see."""
    at = to_ms(run.started_at)
    st.locations[run.location] = {"at": at, "failed": run.status == RunStatus.FAILED,
                                  "failure": _snapshot(run)}
    for loc in [loc for loc, seen in st.locations.items() if seen["at"] < at - stale_ms]:
        del st.locations[loc]
    failing = failing_locations(st)
    if not failing or len(st.locations) == 1:
        return run
    where = ", ".join(failing)
    needed = min(policy.failing_needed(len(st.locations)), len(st.locations))
    if len(failing) >= needed:
        snap = _snapshot(run) or _latest_failure(st, failing)
        return dataclasses.replace(
            run, status=RunStatus.FAILED, degraded_reason=None, failed_step=snap["step"],
            failure=Failure(Category(snap["category"]), snap["reason"],
                            f"from {where}: {snap['message']}"),
        )
    return dataclasses.replace(
        run, status=RunStatus.DEGRADED, failure=None, failed_step=None,
        degraded_reason=f"failing from {where} only ({len(failing)} of {len(st.locations)} "
                        f"locations; alerts fire from {needed})",
    )


def _latest_failure(st: ProbeState, failing: list[str]) -> dict[str, Any]:
    latest = max(failing, key=lambda loc: st.locations[loc]["at"])
    snap: dict[str, Any] = st.locations[latest]["failure"]
    return snap
