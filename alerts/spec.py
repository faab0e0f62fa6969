"""The `notifications:`, `email:` (the old single-channel form) and `maintenance:` blocks of the
config file, and the SMTP settings an email channel uses. Owned by alerts/, composed by the config
loader; `channels:` and `routes:` are alerts/channels/ and alerts/routing.py. (The `alerts:` policy
block, read by probes too, is core/policy.py.)"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import InitErrorDetails, ValidationError

from core.model import StrictModel
from core.types import Duration, Secret

PLAINTEXT_AUTH_REFUSED = (
    "`security: none` with a `username` would send the SMTP password unencrypted; use "
    "`security: starttls` or `ssl`, or set `allow_plaintext_auth: true` for a relay on loopback "
    "or a network you trust"
)


class SmtpSpec(StrictModel):
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = None
    allow_plaintext_auth: bool = Field(
        False, description="log in even with `security: none`, sending the password unencrypted "
        "(only for a relay on loopback or a network you trust)"
    )
    timeout: Duration = 10.0
    ca_file: str | None = Field(
        None, description="PEM file of CA certificates to trust instead of the system store"
    )

    @property
    def plaintext_auth_refused(self) -> bool:
        """Whether logging in would put the password on the wire unencrypted without the user
        having allowed it."""
        return self.security == "none" and bool(self.username) and not self.allow_plaintext_auth

    @model_validator(mode="after")
    def _no_plaintext_password(self) -> SmtpSpec:
        if self.plaintext_auth_refused:
            # reported at `security` (the key to change), not at the whole `smtp:` mapping
            raise ValidationError.from_exception_data(type(self).__name__, [InitErrorDetails(
                type="value_error", loc=("security",), input=self.security,
                ctx={"error": ValueError(PLAINTEXT_AUTH_REFUSED)},
            )])
        return self


_EVERY = {"daily": "1d", "weekly": "7d"}


def _every(value: object) -> object:
    return _EVERY.get(value, value) if isinstance(value, str) else value


class ReportsSpec(StrictModel):
    """`email.reports`: the period report (`seamwatch report`) emailed by `serve`."""

    every: Annotated[Duration, BeforeValidator(_every)] = Field(
        description="daily, weekly or a duration such as 14d; also the report's period")
    to: list[str] = Field(default_factory=list, description="recipients (default: email.to, "
                          "or the channel's `to`)")
    channel: str | None = Field(
        None, description="`notifications.reports`: the email channel that sends it (default: "
        "the first email channel)")

    @field_validator("every")
    @classmethod
    def _at_least_an_hour(cls, value: float) -> float:
        if value < 3600:
            raise ValueError("must be at least 1h (daily, weekly or a duration such as 14d)")
        return value


class EmailSpec(StrictModel):
    smtp: SmtpSpec
    from_: str = Field(alias="from")
    to: list[str] = Field(default_factory=list)
    dashboard_url: str = "http://localhost:8501"
    group_wait: Duration = 30.0
    repeat_interval: Duration = 4 * 3600.0
    send_resolved: bool = True
    max_age: Duration = Field(24 * 3600.0, description="give up delivering an email after this")
    reports: ReportsSpec | None = None


class NotifySpec(StrictModel):
    """`notifications:` — what every channel shares; a channel may set its own `group_wait` and
    `max_age`."""

    dashboard_url: str = "http://localhost:8501"
    group_wait: Duration = Field(30.0, description="batch notices that start together")
    repeat_interval: Duration = Field(4 * 3600.0, description="reminder while firing; 0 = never")
    send_resolved: bool = True
    max_age: Duration = Field(24 * 3600.0, description="give up delivering a notice after this")
    reports: ReportsSpec | None = Field(
        None, description="the period report (`seamwatch report`) emailed by `serve`")

    @classmethod
    def from_email(cls, email: EmailSpec) -> NotifySpec:
        """The shared settings of the old `email:` block."""
        return cls.model_construct(**{name: getattr(email, name) for name in cls.model_fields})


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
