"""Pure transforms from storage read models to what the pages show: each probe's and each
integration's state, the overview rows (worst first), their filters and how one location sees
each integration."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dashboard.states import DEGRADED, FAILING, NO_DATA, OK, severity, worst_state
from storage.reads.alert_history import AlertNow
from storage.reads.analytics import IntegrationOverview, ProbeOverview
from storage.reads.locations import LocationStatus

_FROM_LAST_RUN = {"failed": FAILING, "degraded": DEGRADED, "ok": OK}


def probe_state(probe: ProbeOverview, alert: AlertNow | None) -> str:
    """The alert engine's state when it has one, else what the last run says (`failing`,
    `degraded`, `ok`), else `no data`."""
    if alert is not None:
        return alert.state
    return _FROM_LAST_RUN.get(probe.last_status or "", NO_DATA)


def alert_index(alerts: Iterable[AlertNow]) -> dict[tuple[str, str], AlertNow]:
    return {(a.integration, a.probe): a for a in alerts}


@dataclass(slots=True)
class OverviewRow:
    integration: IntegrationOverview
    state: str
    probe_states: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.integration.name


def overview_rows(
    integrations: Sequence[IntegrationOverview], alerts: Iterable[AlertNow],
    *, include_retired: bool = False,
) -> list[OverviewRow]:
    """One row per integration (active probes only), worst state first, then by name."""
    index = alert_index(alerts)
    rows = []
    for integ in integrations:
        if integ.retired_ms is not None and not include_retired:
            continue
        probes = [p for p in integ.probes if p.retired_ms is None or include_retired]
        if not probes:
            continue
        states = {p.probe: probe_state(p, index.get((p.integration, p.probe))) for p in probes}
        rows.append(OverviewRow(integ, worst_state(states.values()), states))
    rows.sort(key=lambda r: (severity(r.state), r.name))
    return rows


def state_counts(rows: Iterable[OverviewRow]) -> Counter[str]:
    """Probes per state across the rows."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(row.probe_states.values())
    return counts


def filter_rows(
    rows: Iterable[OverviewRow], *, name: str = "", tags: Iterable[str] = (),
    states: Iterable[str] = (),
) -> list[OverviewRow]:
    """Case-insensitive name substring; any of `tags`; any of `states` (integration state)."""
    needle = name.strip().lower()
    wanted_tags, wanted_states = set(tags), set(states)
    return [
        r for r in rows
        if (not needle or needle in r.name.lower()
            or needle in (r.integration.description or "").lower())
        and (not wanted_tags or wanted_tags & set(r.integration.tags))
        and (not wanted_states or r.state in wanted_states)
    ]


def default_probe(row_probes: Sequence[ProbeOverview], states: dict[str, str]) -> str | None:
    """The probe a page opens on: the worst, preferring one with runs."""
    if not row_probes:
        return None
    ranked = sorted(row_probes, key=lambda p: (severity(states.get(p.probe)),
                                               p.last_run_ms is None, p.probe))
    return ranked[0].probe


@dataclass(frozen=True, slots=True)
class AtLocation:
    """An integration as one location sees it: the worst latest run of its probes there, and
    the share of passing runs there over 24 h."""

    state: str
    uptime_24h: float | None


def at_location(rows: Iterable[LocationStatus], location: str) -> dict[str, AtLocation]:
    """Integration name -> how `location` sees it (integrations it ran today only)."""
    states: dict[str, list[str]] = {}
    runs: Counter[str] = Counter()
    good: Counter[str] = Counter()
    for x in rows:
        if x.location != location:
            continue
        states.setdefault(x.integration, []).append(_FROM_LAST_RUN[str(x.last_status)])
        runs[x.integration] += x.runs_24h
        good[x.integration] += round(x.runs_24h * (x.uptime_24h or 0.0) / 100)
    return {name: AtLocation(worst_state(found), 100.0 * good[name] / runs[name]
                             if runs[name] else None)
            for name, found in states.items()}
