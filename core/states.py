"""Alert state names: the one list every part (alerts, storage, status, dashboard) uses."""

from __future__ import annotations

from enum import StrEnum


class AlertState(StrEnum):
    """A probe's alert state (docs/alerts.md); an integration's is the worst of its probes'."""

    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    DEGRADED = "degraded"
    SILENCED = "silenced"


# Worst first: how lists of states are ordered and which state an integration shows.
SEVERITY_ORDER: tuple[AlertState, ...] = (
    AlertState.FIRING, AlertState.PENDING, AlertState.DEGRADED, AlertState.SILENCED, AlertState.OK,
)
