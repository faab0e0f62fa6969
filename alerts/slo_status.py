"""Where each SLO stands now (for the dashboard): counts over the burn-rate windows and the SLO
window with maintenance runs left out, attainment, budget remaining, burn rate per window and
the burn-rate severity `serve` last recorded."""

from __future__ import annotations

from dataclasses import dataclass

from alerts.burn import WINDOWS_MS, burn_rate
from alerts.settings import Settings, SloTarget
from alerts.slo_eval import SloCounter, slo_window_name
from storage.database import Store
from storage.reads.slo import Count, slo_alert_states


@dataclass(frozen=True, slots=True)
class SloStatus:
    target: SloTarget
    counted: Count  # runs over the SLO window
    rates: dict[str, float | None]  # burn-rate window name -> rate
    severity: str  # ok | ticket | page | unknown (not evaluated by `serve` yet)
    since_ms: int | None

    @property
    def attainment(self) -> float | None:
        c = self.counted
        return (c.runs - c.failed) / c.runs if c.runs else None

    @property
    def budget_remaining(self) -> float | None:
        """1 = untouched, 0 = spent, below 0 = overspent; None without runs."""
        c = self.counted
        return 1 - c.failed / (c.runs * self.target.spec.budget) if c.runs else None


def slo_statuses(store: Store, settings: Settings, now_ms: int) -> list[SloStatus]:
    alerts = slo_alert_states(store)
    out: list[SloStatus] = []
    for tc in SloCounter(store).count(settings, settings.slos, now_ms):
        spec = tc.target.spec
        found = alerts.get(tc.target.key)
        out.append(SloStatus(
            tc.target, tc.windows[slo_window_name(spec.window)],
            {name: burn_rate(tc.windows[name], spec) for name in WINDOWS_MS},
            found.severity if found else "unknown", found.since_ms if found else None))
    return out
