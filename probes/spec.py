"""The probe part of the config schema: integrations, auth, probes, steps and expectations.

Pydantic models with `extra="forbid"` so an unknown key is an error (config.py adds the line and a
"did you mean"). Fields whose inherited value matters (interval, timeout, retries, alerts) keep
their built-in defaults here; seamwatch/config.py layers `defaults:` and the integration's own
values over them using `model_fields_set`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from core.policy import AlertPolicy
from core.types import ByteSize, Duration
from probes.auth.spec import AuthSpec, NoAuth
from probes.kindspec import DnsProbe, HeartbeatProbe, PythonProbe
from probes.specbase import NAME_PATTERN, ProbeCommon, StrictModel

__all__ = [
    "NAME_PATTERN", "PROBE_KINDS", "AnyProbe", "DnsProbe", "HeartbeatProbe", "ProbeCommon",
    "ProbeSpec", "PythonProbe", "StrictModel",
]


# ---------------------------------------------------------------------------------- expectations

class Matcher(StrictModel):
    """One JSONPath expectation. All keys given must hold."""

    equals: Any = None
    not_equals: Any = None
    type: Literal["string", "number", "integer", "boolean", "array", "object", "null"] | None = None
    matches: str | None = None
    contains: Any = None
    one_of: list[Any] | None = None
    min_length: int | None = Field(None, ge=0)
    max_length: int | None = Field(None, ge=0)
    gt: float | None = None
    gte: float | None = None
    lt: float | None = None
    lte: float | None = None
    exists: bool | None = None

    @field_validator("matches")
    @classmethod
    def _valid_regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return value


StatusExpectation = int | list[int] | str


class Expect(StrictModel):
    status: StatusExpectation = Field(
        "2xx", description="a code, a list of codes, or a class such as 2xx"
    )
    latency_under: Duration | None = None
    headers: dict[str, str | Matcher] = Field(default_factory=dict)
    body_contains: str | list[str] | None = None
    json_: dict[str, Matcher] = Field(default_factory=dict, alias="json")
    schema_: str | None = Field(
        None, alias="schema", description="JSON Schema file, relative to the config file"
    )

    @field_validator("status")
    @classmethod
    def _status_form(cls, value: StatusExpectation) -> StatusExpectation:
        codes = value if isinstance(value, list) else [value]
        for code in codes:
            if isinstance(code, int):
                if not 100 <= code <= 599:
                    raise ValueError(f"HTTP status {code} is outside 100-599")
            elif not re.fullmatch(r"[1-5]xx", str(code)):
                raise ValueError(f"expected a status code or a class like 2xx, got {code!r}")
        return value


# ----------------------------------------------------------------------------------------- steps

HttpMethod = Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class Step(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    method: HttpMethod = "GET"
    path: str | None = None
    url: str | None = None
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    json_: Any = Field(None, alias="json")
    body: str | None = None
    form: dict[str, str] | None = None
    expect: Expect = Field(default_factory=Expect)
    save: dict[str, str] = Field(default_factory=dict, description="variable -> JSONPath")
    always_run: bool = Field(False, description="run even after an earlier step failed")
    auth: bool = Field(True, description="send the integration's credential with this step")

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _target_and_body(self) -> Step:
        if (self.path is None) == (self.url is None):
            raise ValueError("set exactly one of `path` (joined to base_url) or `url`")
        bodies = [k for k in ("json_", "body", "form") if getattr(self, k) is not None]
        if len(bodies) > 1:
            raise ValueError("set at most one of `json`, `body` or `form`")
        return self


# ---------------------------------------------------------------------------------------- probes


class HttpProbe(ProbeCommon):
    type: Literal["http"] = "http"
    steps: list[Step] = Field(min_length=1)
    max_body: ByteSize = Field(1024 * 1024, description="bytes of a response body read at most")
    follow_redirects: bool = True

    @model_validator(mode="after")
    def _unique_steps(self) -> HttpProbe:
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"duplicate step name {step.name!r}")
            seen.add(step.name)
        return self


class TlsExpect(StrictModel):
    cert_valid_days_over: float | None = Field(None, ge=0)


class TlsProbe(ProbeCommon):
    type: Literal["tls"]
    host: str
    port: int = Field(443, ge=1, le=65535)
    server_name: str | None = Field(None, description="SNI and name checked; defaults to host")
    ca_file: str | None = Field(None, description="PEM bundle to trust instead of the system's")
    expect: TlsExpect = Field(default_factory=TlsExpect)


class TcpProbe(ProbeCommon):
    type: Literal["tcp"]
    host: str
    port: int = Field(ge=1, le=65535)
    send: str | None = Field(None, description="bytes to send after connecting")
    expect_contains: str | None = Field(None, description="text the reply must contain")


def _probe_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "http"))
    return str(getattr(value, "type", "http"))


ProbeSpec = Annotated[
    Annotated[HttpProbe, Tag("http")]
    | Annotated[TlsProbe, Tag("tls")]
    | Annotated[TcpProbe, Tag("tcp")]
    | Annotated[DnsProbe, Tag("dns")]
    | Annotated[HeartbeatProbe, Tag("heartbeat")]
    | Annotated[PythonProbe, Tag("python")],
    Discriminator(_probe_kind),
]
PROBE_KINDS = ("http", "tls", "tcp", "dns", "heartbeat", "python")


class IntegrationSpec(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    base_url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthSpec | None = None
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    interval: Duration | None = Field(None, gt=0)
    timeout: Duration | None = Field(None, gt=0)
    retries: int | None = Field(None, ge=0, le=10)
    verify_tls: bool = True
    ca_file: str | None = Field(None, description="PEM bundle to trust for this integration")
    probes: list[ProbeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_probes(self) -> IntegrationSpec:
        seen: set[str] = set()
        for probe in self.probes:
            if probe.name in seen:
                raise ValueError(f"duplicate probe name {probe.name!r}")
            if probe.name == "auth" and self.auth is not None:
                raise ValueError("probe name 'auth' is reserved for the integration's auth probe")
            seen.add(probe.name)
        if not self.probes and (self.auth is None or isinstance(self.auth, NoAuth)):
            raise ValueError("an integration needs at least one probe or an `auth` block")
        return self

    @property
    def has_auth(self) -> bool:
        return self.auth is not None and not isinstance(self.auth, NoAuth)


class ProbeDefaults(StrictModel):
    """`defaults:` — values every probe inherits unless its integration or itself sets them."""

    interval: Duration | None = Field(None, gt=0)
    timeout: Duration | None = Field(None, gt=0)
    retries: int | None = Field(None, ge=0, le=10)
    max_body: ByteSize | None = None
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)


class AuthProbe(ProbeCommon):
    """The synthetic probe named `auth` that every integration with an `auth` block gets: it fetches
    a fresh credential each interval. Built by seamwatch/config.py, never written by users."""

    type: Literal["auth"] = "auth"


AnyProbe = HttpProbe | TlsProbe | TcpProbe | DnsProbe | HeartbeatProbe | PythonProbe | AuthProbe
