"""SLO test helpers shared by the burn-rate and migration tests: config stand-ins with `slo`
attributes, Settings built from them, and run histories ending at NOW."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from alerts.settings import Settings
from alerts.spec import MaintenanceSpec
from core.policy import AlertPolicy
from core.slo import SloSpec
from storage.codes import to_ms
from tests.alerts.conftest import T0, Cfg, email_spec
from tests.storage.seed import MIN, R

NOW = T0 + timedelta(days=3)


@dataclass
class Integ:
    name: str
    slo: SloSpec | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class Prb:
    name: str
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    slo: SloSpec | None = None
    interval: float = 60.0


@dataclass
class Entry:
    integration: Integ
    probe: Prb


def settings(objective: str, maintenance: list[MaintenanceSpec] | None = None,
             on_probe: bool = False) -> Settings:
    spec = SloSpec.model_validate({"objective": objective})
    entry = (Entry(Integ("payments"), Prb("charges", slo=spec)) if on_probe
             else Entry(Integ("payments", slo=spec), Prb("charges")))
    cfg = Cfg(email_spec(2525), [entry], maintenance or [])  # type: ignore[list-item]
    return Settings.from_config(cfg)  # type: ignore[arg-type]


def runs(every_min: int, span_min: int, failed: set[int] | None = None,
         failing_every: int = 0) -> list[R]:
    """Runs every `every_min` minutes for the `span_min` minutes before NOW; run i (0 = the
    oldest) failed when in `failed` or when failing_every divides i + 1."""
    n = span_min // every_min
    out = []
    for i in range(n):
        at = to_ms(NOW) - (n - i) * every_min * MIN + 1000
        bad = i in (failed or set()) or (failing_every and (i + 1) % failing_every == 0)
        out.append(R(at, 100.0, "failed" if bad else "ok"))
    return out
