"""Maintenance windows: `cron` gives each window's start, `duration` its length.

`cron` has crontab(5) semantics (see alerts/cron.py). A window is open at `now` when the cron
expression fired at some time `t` with `now - duration < t <= now`; it then stays open until the
latest such `t` plus `duration`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from alerts.cron import crontab_trigger
from alerts.spec import MaintenanceSpec

_MAX_FIRES = 100_000  # a "* * * * * *"-like cron over a long duration stops being meaningful


@dataclass(frozen=True, slots=True)
class OpenWindow:
    name: str
    ends_at: datetime
    integrations: frozenset[str] | None  # None: every integration


class MaintenanceCalendar:
    """The configured windows, with their cron triggers built once."""

    def __init__(self, specs: Sequence[MaintenanceSpec]) -> None:
        self._windows = [
            (spec, crontab_trigger(spec.cron, spec.timezone)) for spec in specs
        ]

    def __bool__(self) -> bool:
        return bool(self._windows)

    def open_windows(self, now: datetime) -> list[OpenWindow]:
        out: list[OpenWindow] = []
        for spec, trigger in self._windows:
            if spec.duration <= 0:
                continue
            length = timedelta(seconds=spec.duration)
            fire = trigger.get_next_fire_time(None, now - length + timedelta(microseconds=1))
            last: datetime | None = None
            for _ in range(_MAX_FIRES):
                if fire is None or fire > now:
                    break
                last = fire
                fire = trigger.get_next_fire_time(fire, fire)
            if last is not None:
                scope = None if spec.integrations is None else frozenset(spec.integrations)
                out.append(OpenWindow(spec.name, last + length, scope))
        return out

    def windows_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime, frozenset[str] | None]]:
        """Every window open at some time in [start, end): (opened, closed, integrations or None
        for every integration), clipped to [start, end)."""
        out: list[tuple[datetime, datetime, frozenset[str] | None]] = []
        for spec, trigger in self._windows:
            if spec.duration <= 0:
                continue
            length = timedelta(seconds=spec.duration)
            scope = None if spec.integrations is None else frozenset(spec.integrations)
            fire = trigger.get_next_fire_time(None, start - length + timedelta(microseconds=1))
            for _ in range(_MAX_FIRES):
                if fire is None or fire >= end:
                    break
                out.append((max(fire, start), min(fire + length, end), scope))
                fire = trigger.get_next_fire_time(fire, fire)
        return out

    def silencing(self, now: datetime) -> SilenceMap:
        return SilenceMap(self.open_windows(now))


class SilenceMap:
    """Which integration is silenced by which window at one instant."""

    def __init__(self, windows: list[OpenWindow]) -> None:
        self._global = next((w for w in windows if w.integrations is None), None)
        self._by_integration: dict[str, OpenWindow] = {}
        for window in windows:
            for name in window.integrations or ():
                self._by_integration.setdefault(name, window)

    def window_for(self, integration: str) -> OpenWindow | None:
        return self._by_integration.get(integration) or self._global
