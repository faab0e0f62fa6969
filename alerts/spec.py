"""The `alerts:` policy (defaults, integration, probe level) and the `email:` and `maintenance:`
blocks of the config file. Owned by alerts/, composed by seamwatch/config.py."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from seamwatch.types import Duration, Secret


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AlertPolicy(StrictModel):
    """When a probe's alert state changes. Set at `defaults.alerts`, an integration's `alerts` or
    a probe's `alerts`; each level overrides only the keys it sets."""

    failure_threshold: int = Field(3, ge=1, description="failed runs in a row before firing")
    recovery_threshold: int = Field(2, ge=1, description="good runs in a row before resolving")
    degraded_latency: Duration | None = Field(
        None, description="a passing run slower than this is degraded"
    )
    min_rate_limit_headroom: float | None = Field(
        None, ge=0, le=1, description="a run with remaining/limit under this is degraded"
    )
    notify_degraded: bool = Field(False, description="email when a probe stays degraded")
    to: list[str] = Field(default_factory=list, description="extra recipients for this scope")


class SmtpSpec(StrictModel):
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    timeout: Duration = 10.0
    ca_file: str | None = Field(
        None, description="PEM file of CA certificates to trust instead of the system store"
    )


class EmailSpec(StrictModel):
    smtp: SmtpSpec
    from_: str = Field(alias="from")
    to: list[str] = Field(default_factory=list)
    dashboard_url: str = "http://localhost:8501"
    group_wait: Duration = 30.0
    repeat_interval: Duration = 4 * 3600.0
    send_resolved: bool = True
    max_age: Duration = Field(24 * 3600.0, description="give up delivering an email after this")


class MaintenanceSpec(StrictModel):
    name: str
    cron: str
    duration: Duration
    integrations: list[str] | None = Field(None, description="omit for every integration")
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from alerts.cron import crontab_trigger

        crontab_trigger(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as "
                             "Europe/Berlin)") from None
        return value
