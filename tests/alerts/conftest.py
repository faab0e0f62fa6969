"""Fixtures for alert tests: real SMTP servers on loopback (aiosmtpd), a controllable clock, a
migrated SQLite store, config stand-ins shaped like seamwatch.config's."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme

from alerts.routing import Alerting
from alerts.spec import EmailSpec, MaintenanceSpec, SmtpSpec
from core.policy import AlertPolicy
from core.redact import Redactor
from probes.result import Category, Failure, ProbeResult, RunStatus, StepResult, StepStatus
from storage.database import Store, open_store
from tests.support.smtp import (  # noqa: F401  (re-exported for the alert tests)
    PASSWORD,
    USER,
    Collector,
    SmtpServer,
    authenticator,
    start_smtp,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = start_smtp()
    yield server
    server.stop()


@dataclass
class Tls:
    ca: trustme.CA
    ca_file: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
        return ctx


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return Tls(ca, path)


def email_spec(port: int, **overrides: Any) -> EmailSpec:
    smtp: dict[str, Any] = {"host": "127.0.0.1", "port": port, "security": "none", "timeout": "5s"}
    smtp.update(overrides.pop("smtp", {}))
    data: dict[str, Any] = {
        "smtp": SmtpSpec.model_validate(smtp), "from": "seamwatch <alerts@example.test>",
        "to": ["oncall@example.test"], "dashboard_url": "http://localhost:8501",
        "group_wait": "0", "repeat_interval": "4h",
    }
    data.update(overrides)
    return EmailSpec.model_validate(data)


# -- config stand-ins (the shape seamwatch.config.Config exposes) ----------------------------


@dataclass
class Integ:
    name: str
    tags: list[str] = field(default_factory=list)


@dataclass
class Prb:
    name: str
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    interval: float = 60.0


@dataclass
class Entry:
    integration: Integ
    probe: Prb

    @property
    def key(self) -> str:
        return f"{self.integration.name}/{self.probe.name}"


@dataclass
class Cfg:
    email: EmailSpec | None
    entries: list[Entry] = field(default_factory=list)
    maintenance: list[MaintenanceSpec] = field(default_factory=list)
    routed: Alerting | None = None  # channels and routes; None: the old `email:` form

    @property
    def alerting(self) -> Alerting:
        return self.routed if self.routed is not None else Alerting.from_email(self.email)


def make_config(email: EmailSpec | None, probes: dict[str, dict[str, Any]] | list[str],
                maintenance: list[MaintenanceSpec] | None = None) -> Cfg:
    items = probes.items() if isinstance(probes, dict) else ((k, {}) for k in probes)
    entries = []
    for key, policy_kwargs in items:
        integration, probe = key.split("/")
        entries.append(Entry(Integ(integration), Prb(probe, AlertPolicy(**policy_kwargs))))
    return Cfg(email, entries, maintenance or [])


def result(key: str, status: str, at: datetime, *, category: str = "timeout",
           reason: str = "connect_timeout", message: str = "connect timed out after 10s",
           latency_ms: float = 120.0, http_status: int | None = None) -> ProbeResult:
    integration, probe = key.split("/")
    failure = None
    steps = []
    if status == "failed":
        failure = Failure(Category(category), reason, message)
        steps = [StepResult("list", StepStatus.FAILED, latency_ms, http_status, failure=failure)]
    return ProbeResult(
        integration, probe, "http", RunStatus(status), at, latency_ms, steps, failure,
        "list" if failure else None,
        degraded_reason="latency 2.5s over degraded_latency 2s" if status == "degraded" else None,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'seamwatch.db'}")
    yield s
    s.close()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor([PASSWORD])
