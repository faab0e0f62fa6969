"""Dashboard read model of the drift tables (`storage.schema.drift`): a probe's learned
baselines (one per step) and its drift history, newest first. Safe on a database the migration
adding the tables has not reached yet (then there is nothing to show)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from probes.drift.tracker import DriftEvent
from storage.baselines import events
from storage.database import Store
from storage.schema.drift import drift_baselines_t


@dataclass(frozen=True, slots=True)
class StepBaseline:
    step: str
    frozen: bool
    samples: int
    generation: int
    frozen_ms: int | None
    to_accept: bool


@dataclass(frozen=True, slots=True)
class ProbeDrift:
    baselines: list[StepBaseline]
    events: list[DriftEvent]  # newest first

    def open_events(self) -> list[DriftEvent]:
        """Drift seen under each step's current baseline (not accepted or reset since)."""
        current = {b.step: b.generation for b in self.baselines}
        return [e for e in self.events
                if e.kind == "drift" and current.get(e.step) == e.generation]


def probe_drift(store: Store, integration: str, probe: str, limit: int = 50) -> ProbeDrift:
    t = drift_baselines_t
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table(t.name):
            return ProbeDrift([], [])
        rows = conn.execute(
            sa.select(t.c.step, t.c.frozen, t.c.samples, t.c.generation, t.c.frozen_ms,
                      t.c.pending.is_not(None).label("to_accept"))
            .where(t.c.integration == integration, t.c.probe == probe).order_by(t.c.step)
        ).all()
    found = [StepBaseline(r.step, bool(r.frozen), r.samples, r.generation, r.frozen_ms,
                          bool(r.to_accept)) for r in rows]
    return ProbeDrift(found, events(store, integration, probe, limit=limit) if found else [])
