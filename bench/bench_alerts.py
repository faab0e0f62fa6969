"""Alert burst: 1,000 probes change state at once -> at most one email per recipient set.

Measures the CPU time of evaluating the batch (state machine, events, owed notices: one
transaction) plus grouping, rendering and queueing the outbox emails, on a migrated SQLite file.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alerts.routing import Alerting
from alerts.service import AlertService
from alerts.spec import EmailSpec, MaintenanceSpec
from core.policy import AlertPolicy
from core.redact import Redactor
from probes.result import Category, Failure, ProbeResult, RunStatus, StepResult, StepStatus
from storage.database import open_store

PROBES = 1000
INTEGRATIONS = ("payments", "crm", "shipping")


@dataclass
class _Named:
    name: str
    tags: tuple[str, ...] = ()


@dataclass
class _Probe:
    name: str
    alerts: AlertPolicy


@dataclass
class _Entry:
    integration: _Named
    probe: _Probe


@dataclass
class _Config:
    email: EmailSpec | None
    entries: list[_Entry] = field(default_factory=list)
    maintenance: list[MaintenanceSpec] = field(default_factory=list)

    @property
    def alerting(self) -> Alerting:
        return Alerting.from_email(self.email)


def _config() -> _Config:
    email = EmailSpec.model_validate({
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
        "from": "seamwatch <alerts@example.test>", "to": ["oncall@example.test"],
        "group_wait": "30s",
    })
    entries = [
        _Entry(_Named(INTEGRATIONS[i % 3]), _Probe(
            f"probe-{i:04d}",
            AlertPolicy(failure_threshold=1, to=[f"{INTEGRATIONS[i % 3]}@example.test"])))
        for i in range(PROBES)
    ]
    return _Config(email, entries)


def _failed(entry: _Entry, at: datetime) -> ProbeResult:
    failure = Failure(Category.TIMEOUT, "connect_timeout", "connect timed out after 10s")
    step = StepResult("list", StepStatus.FAILED, 10000.0, None, failure=failure)
    return ProbeResult(entry.integration.name, entry.probe.name, "http", RunStatus.FAILED, at,
                       10000.0, [step], failure, "list")


def main() -> dict[str, Any]:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    clock_value = [now]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        config = _config()
        svc = AlertService(store, config, redactor=Redactor(["canary-secret"]),
                           clock=lambda: clock_value[0])
        svc.states()  # load (empty) state before timing
        results = [_failed(e, now) for e in config.entries]
        cpu0, wall0 = time.process_time(), time.perf_counter()
        owed = svc.evaluate(results)
        cpu_eval = time.process_time() - cpu0
        clock_value[0] = now + timedelta(seconds=30)
        emails = svc._timed_and_flush()
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - wall0
        svc._executor.shutdown()
        store.close()
    print(f"alerts: {PROBES} transitions -> {emails} emails ({owed} notices grouped by "
          f"{len(INTEGRATIONS)} recipient sets), {cpu:.2f} CPU-s "
          f"(evaluate {cpu_eval:.2f}, render+queue {cpu - cpu_eval:.2f}; wall {wall:.2f}s)")
    return {"transitions": PROBES, "notices": owed, "emails": emails, "cpu_s": round(cpu, 3),
            "cpu_evaluate_s": round(cpu_eval, 3), "wall_s": round(wall, 3)}


if __name__ == "__main__":
    main()
