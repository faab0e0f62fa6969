"""What the alert service needs from the composed config, snapshotted on each (re)load.

The config is described structurally (Protocols) so alerts/ does not import seamwatch/config.py:
any object with `.alerting` (channels, routes, shared settings), `.maintenance` and `.entries`
(each with `.integration.name`, `.integration.tags`, `.probe.name` and the fully merged
`.probe.alerts`) will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from alerts.maintenance import MaintenanceCalendar
from alerts.repo import NewNotice
from alerts.routing import Alerting
from alerts.spec import MaintenanceSpec
from alerts.state import NotifyRules
from core.policy import AlertPolicy
from core.slo import SloSpec

_DEFAULT_POLICY = AlertPolicy()
DEFAULT_INTERVAL_S = 60.0
STALE_INTERVALS = 3


class _Integration(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def tags(self) -> Sequence[str]: ...


class _Probe(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def alerts(self) -> AlertPolicy: ...
    @property
    def interval(self) -> float | None: ...


class _Entry(Protocol):
    @property
    def integration(self) -> _Integration: ...
    @property
    def probe(self) -> _Probe: ...


class AlertConfig(Protocol):
    @property
    def alerting(self) -> Alerting: ...
    @property
    def maintenance(self) -> Sequence[MaintenanceSpec]: ...
    @property
    def entries(self) -> Sequence[_Entry]: ...


@dataclass(frozen=True, slots=True)
class SloTarget:
    """One SLO: an integration's (`probe` None: over all its probes' runs) or a probe's own."""

    integration: str
    probe: str | None
    probes: tuple[str, ...]  # the probes whose runs count
    spec: SloSpec

    @property
    def key(self) -> str:
        return self.integration if self.probe is None else f"{self.integration}/{self.probe}"


def slo_targets(entries: Sequence[_Entry]) -> tuple[SloTarget, ...]:
    """The SLOs of the config: `slo:` on an integration (or inherited from `defaults:`, resolved
    by the config loader) and on a probe. Objects without an `slo` attribute have none."""
    out: list[SloTarget] = []
    by_integration: dict[str, list[str]] = {}
    specs: dict[str, SloSpec] = {}
    for e in entries:
        name = e.integration.name
        by_integration.setdefault(name, []).append(e.probe.name)
        own: SloSpec | None = getattr(e.integration, "slo", None)
        if own is not None:
            specs[name] = own
        probe_slo: SloSpec | None = getattr(e.probe, "slo", None)
        if probe_slo is not None:
            out.append(SloTarget(name, e.probe.name, (e.probe.name,), probe_slo))
    out += [SloTarget(name, None, tuple(by_integration[name]), spec)
            for name, spec in specs.items()]
    return tuple(sorted(out, key=lambda t: t.key))


@dataclass(frozen=True)
class Settings:
    alerting: Alerting
    rules: NotifyRules
    calendar: MaintenanceCalendar
    policies: dict[tuple[str, str], AlertPolicy] = field(default_factory=dict)
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)
    slos: tuple[SloTarget, ...] = ()
    intervals: dict[tuple[str, str], float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: AlertConfig) -> Settings:
        alerting = config.alerting
        notify = alerting.notify
        rules = NotifyRules(notify.send_resolved, notify.repeat_interval)
        policies = {(e.integration.name, e.probe.name): e.probe.alerts for e in config.entries}
        tags = {e.integration.name: tuple(e.integration.tags) for e in config.entries}
        intervals = {(e.integration.name, e.probe.name): e.probe.interval or DEFAULT_INTERVAL_S
                     for e in config.entries}
        return cls(alerting, rules, MaintenanceCalendar(config.maintenance or ()), policies, tags,
                   slo_targets(config.entries), intervals)

    @property
    def notifying(self) -> bool:
        """Whether any channel is configured (without one, no notice is owed)."""
        return bool(self.alerting.channels)

    def policy(self, integration: str, probe: str) -> AlertPolicy:
        return self.policies.get((integration, probe), _DEFAULT_POLICY)

    def stale_ms(self, integration: str, probe: str) -> int:
        """After this long without a run from a location, it no longer counts for the probe's
        quorum (three intervals: its runners are gone or the probe left its list)."""
        return int(STALE_INTERVALS * self.intervals.get((integration, probe),
                                                        DEFAULT_INTERVAL_S) * 1000)

    def knows(self, integration: str, probe: str) -> bool:
        return (integration, probe) in self.policies

    def channels_for(self, integration: str, kind: str) -> list[str]:
        return self.alerting.route(integration, self.tags.get(integration, ()), kind)

    def recipients(self, channel: str, integration: str, *probes: str) -> list[str]:
        """For an email channel: its `to` plus the merged `alerts.to` of `probes`, deduplicated
        (case-insensitively) and sorted, the recipient set that groups emails. Other channels
        have none."""
        spec = self.alerting.channels.get(channel)
        if spec is None or spec.type != "email":
            return []
        seen: dict[str, str] = {}
        extra = [a for probe in probes for a in self.policy(integration, probe).to]
        for address in [*spec.to, *extra]:
            seen.setdefault(address.strip().lower(), address.strip())
        return sorted(seen.values(), key=str.lower)

    def owed(self, integration: str, probe: str, kind: str, payload: dict[str, Any],
             recipients_of: Sequence[str] | None = None) -> list[NewNotice]:
        """One notice per channel the routes send `kind` of `integration` to; an email channel
        without recipients (those of `recipients_of`, default `probe`) gets none."""
        notices = []
        for channel in self.channels_for(integration, kind):
            recipients = self.recipients(channel, integration, *(recipients_of or (probe,)))
            if self.alerting.channels[channel].type == "email" and not recipients:
                continue
            notices.append(NewNotice(integration, probe, kind, "\n".join(recipients), payload,
                                     channel))
        return notices
