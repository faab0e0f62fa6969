"""Pure transforms from storage read models to what the pages show: each probe's and each
integration's alert state and last run (two columns, dashboard/states.py), the overview rows
(worst first), their filters and how one location sees each integration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dashboard.states import UNKNOWN, run_severity, severity, worst_run, worst_state
from storage.reads.alert_history import AlertNow
from storage.reads.analytics import IntegrationOverview, ProbeOverview
from storage.reads.locations import LocationStatus


def alert_state(alert: AlertNow | None) -> str:
    """The alert engine's state for a probe, `unknown` when it has none (never guessed from
    the runs: that is the last run's column)."""
    return alert.state if alert is not None else UNKNOWN


def alert_index(alerts: Iterable[AlertNow]) -> dict[tuple[str, str], AlertNow]:
    return {(a.integration, a.probe): a for a in alerts}


@dataclass(slots=True)
class OverviewRow:
    integration: IntegrationOverview
    state: str  # the worst alert state of its probes
    probe_states: dict[str, str] = field(default_factory=dict)  # probe -> alert state
    last_runs: dict[str, str | None] = field(default_factory=dict)  # probe -> last run status

    @property
    def last_run(self) -> str | None:
        """The worst last run of its probes (None when none has run)."""
        return worst_run(s for s in self.last_runs.values() if s)

    @property
    def failed_probes(self) -> int:
        return sum(1 for s in self.last_runs.values() if s == "failed")

    @property
    def name(self) -> str:
        return self.integration.name


def overview_rows(
    integrations: Sequence[IntegrationOverview], alerts: Iterable[AlertNow],
    *, include_retired: bool = False,
) -> list[OverviewRow]:
    """One row per integration (active probes only), worst alert state first, then worst last
    run, then by name."""
    index = alert_index(alerts)
    rows = []
    for integ in integrations:
        if integ.retired_ms is not None and not include_retired:
            continue
        probes = [p for p in integ.probes if p.retired_ms is None or include_retired]
        if not probes:
            continue
        states = {p.probe: alert_state(index.get((p.integration, p.probe))) for p in probes}
        rows.append(OverviewRow(integ, worst_state(states.values()), states,
                                {p.probe: p.last_status for p in probes}))
    rows.sort(key=lambda r: (severity(r.state), run_severity(r.last_run), r.name))
    return rows


def state_counts(rows: Iterable[OverviewRow]) -> Counter[str]:
    """Probes per alert state across the rows."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row.probe_states.values())
    return counts


def run_counts(rows: Iterable[OverviewRow]) -> Counter[str]:
    """Probes per last run across the rows (probes that never ran are not counted)."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(s for s in row.last_runs.values() if s)
    return counts


def filter_rows(
    rows: Iterable[OverviewRow], *, name: str = "", tags: Iterable[str] = (),
    states: Iterable[str] = (), last_runs: Iterable[str] = (),
) -> list[OverviewRow]:
    """Case-insensitive name substring; any of `tags`; any of `states` (the integration's alert
    state); any of `last_runs` (the integration's worst last run)."""
    needle = name.strip().lower()
    wanted_tags, wanted_states, wanted_runs = set(tags), set(states), set(last_runs)
    return [
        r for r in rows
        if (not needle or needle in r.name.lower()
            or needle in (r.integration.description or "").lower())
        and (not wanted_tags or wanted_tags & set(r.integration.tags))
        and (not wanted_states or r.state in wanted_states)
        and (not wanted_runs or r.last_run in wanted_runs)
    ]


def default_probe(row_probes: Sequence[ProbeOverview], states: dict[str, str]) -> str | None:
    """The probe a page opens on: the worst, preferring one with runs."""
    if not row_probes:
        return None
    ranked = sorted(row_probes, key=lambda p: (severity(states.get(p.probe)),
                                               run_severity(p.last_status), p.probe))
    return ranked[0].probe


@dataclass(frozen=True, slots=True)
class AtLocation:
    """An integration as one location sees it: the worst latest run of its probes there (the
    *last run* vocabulary, dashboard/states.py), and the share of passing runs there over 24 h."""

    last_run: str | None
    uptime_24h: float | None


def at_location(rows: Iterable[LocationStatus], location: str) -> dict[str, AtLocation]:
    """Integration name -> how `location` sees it (integrations it ran today only)."""
    states: dict[str, list[str]] = {}
    runs: Counter[str] = Counter()
    good: Counter[str] = Counter()
    for x in rows:
        if x.location != location:
            continue
        states.setdefault(x.integration, []).append(str(x.last_status))
        runs[x.integration] += x.runs_24h
        good[x.integration] += round(x.runs_24h * (x.uptime_24h or 0.0) / 100)
    return {name: AtLocation(worst_run(found), 100.0 * good[name] / runs[name]
                             if runs[name] else None)
            for name, found in states.items()}
