"""Rate-limit quotas from the stored steps: per integration and policy, the samples in a time
range and their forecast (probes/quota.py: the current window, the least-squares rate, the
predicted exhaustion and whether it comes before the reset). For the dashboard's quota charts."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from probes.quota import QuotaForecast, QuotaSample, forecast
from storage.database import Store
from storage.schema.runs import integrations_t, probes_t, run_steps_t, runs_t


@dataclass(slots=True)
class QuotaView:
    integration: str
    policy: str  # "" when the server names none
    samples: list[QuotaSample] = field(default_factory=list)
    forecast: QuotaForecast | None = None

    @property
    def label(self) -> str:
        return self.policy or "(unnamed)"


def quotas(store: Store, start_ms: int, end_ms: int,
           integrations: list[str] | None = None) -> list[QuotaView]:
    """Every integration's quotas seen in [start_ms, end_ms), by integration then policy."""
    r, s, p, i = runs_t, run_steps_t, probes_t, integrations_t
    query = (
        sa.select(i.c.name, s.c.rl_policy, r.c.started_ms, s.c.rl_remaining, s.c.rl_limit,
                  s.c.rl_reset_s)
        .select_from(r.join(s, s.c.run_id == r.c.id).join(p, p.c.id == r.c.probe_id)
                     .join(i, i.c.id == p.c.integration_id))
        .where(r.c.started_ms >= start_ms, r.c.started_ms < end_ms,
               s.c.rl_remaining.is_not(None))
        .order_by(i.c.name, r.c.started_ms)
    )
    if integrations is not None:
        query = query.where(i.c.name.in_(integrations))
    views: dict[tuple[str, str], QuotaView] = {}
    with store.engine.connect() as conn:
        for name, policy, started_ms, remaining, limit, reset_s in conn.execute(query):
            key = (name, policy or "")
            view = views.get(key)
            if view is None:
                view = views[key] = QuotaView(name, policy or "")
            at_s = started_ms / 1000
            view.samples.append(QuotaSample(
                at_s, int(remaining), None if limit is None else int(limit),
                None if reset_s is None else at_s + reset_s))
    for view in views.values():
        view.forecast = forecast(view.policy, view.samples)
    return sorted(views.values(), key=lambda v: (v.integration, v.policy))
