"""What the alert service needs from the composed config, snapshotted on each (re)load.

The config is described structurally (Protocols) so alerts/ does not import seamwatch/config.py:
any object with `.email`, `.maintenance` and `.entries` (each with `.integration.name`,
`.probe.name` and the fully merged `.probe.alerts`) will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from alerts.maintenance import MaintenanceCalendar
from alerts.spec import EmailSpec, MaintenanceSpec
from alerts.state import NotifyRules
from core.policy import AlertPolicy

_DEFAULT_POLICY = AlertPolicy()
DEFAULT_INTERVAL_S = 60.0
STALE_INTERVALS = 3


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Probe(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def alerts(self) -> AlertPolicy: ...
    @property
    def interval(self) -> float | None: ...


class _Entry(Protocol):
    @property
    def integration(self) -> _Named: ...
    @property
    def probe(self) -> _Probe: ...


class AlertConfig(Protocol):
    @property
    def email(self) -> EmailSpec | None: ...
    @property
    def maintenance(self) -> Sequence[MaintenanceSpec]: ...
    @property
    def entries(self) -> Sequence[_Entry]: ...


@dataclass(frozen=True)
class Settings:
    email: EmailSpec | None
    rules: NotifyRules
    calendar: MaintenanceCalendar
    policies: dict[tuple[str, str], AlertPolicy] = field(default_factory=dict)
    intervals: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: AlertConfig) -> Settings:
        email = config.email
        rules = (
            NotifyRules(email.send_resolved, email.repeat_interval) if email else NotifyRules()
        )
        policies = {(e.integration.name, e.probe.name): e.probe.alerts for e in config.entries}
        intervals = {(e.integration.name, e.probe.name): e.probe.interval or DEFAULT_INTERVAL_S
                     for e in config.entries}
        return cls(email, rules, MaintenanceCalendar(config.maintenance or ()), policies,
                   intervals)

    def policy(self, integration: str, probe: str) -> AlertPolicy:
        return self.policies.get((integration, probe), _DEFAULT_POLICY)

    def stale_ms(self, integration: str, probe: str) -> int:
        """After this long without a run from a location, it no longer counts for the probe's
        quorum (three intervals: its runners are gone or the probe left its list)."""
        return int(STALE_INTERVALS * self.intervals.get((integration, probe),
                                                        DEFAULT_INTERVAL_S) * 1000)

    def knows(self, integration: str, probe: str) -> bool:
        return (integration, probe) in self.policies

    def recipients(self, integration: str, probe: str) -> list[str]:
        """`email.to` plus the probe's merged `alerts.to`, deduplicated (case-insensitively) and
        sorted: the recipient set that groups emails."""
        if self.email is None:
            return []
        seen: dict[str, str] = {}
        for address in [*self.email.to, *self.policy(integration, probe).to]:
            seen.setdefault(address.strip().lower(), address.strip())
        return sorted(seen.values(), key=str.lower)
