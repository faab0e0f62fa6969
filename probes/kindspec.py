"""The config schema of the `dns`, `heartbeat` and `python` probe kinds (composed into the probe
union by probes/spec.py)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from core.types import Duration, Secret
from probes.specbase import ProbeCommon, StrictModel

RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]
DEFAULT_GRACE_FRACTION = 0.2
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CALLABLE_PATTERN = re.compile(rf"^{_IDENT}(?:\.{_IDENT})*:{_IDENT}(?:\.{_IDENT})*$")


def parse_resolver(text: str) -> tuple[str, int]:
    """`9.9.9.9` -> ("9.9.9.9", 53); `127.0.0.1:5353`, `::1`, `[::1]:5353` likewise.
    Raises ValueError for anything that is not an IP address with an optional port."""
    value = text.strip()
    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(value)
            port = int(rest[1:])
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)
    if not 1 <= port <= 65535:
        raise ValueError(value)
    return host, port


class DnsExpect(StrictModel):
    contains: list[str] = Field(
        default_factory=list, description="values that must be among the answers"
    )
    min_answers: int | None = Field(None, ge=1)

    @field_validator("contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DnsProbe(ProbeCommon):
    type: Literal["dns"]
    host: str = Field(min_length=1)
    record_type: RecordType = "A"
    resolver: str | None = Field(
        None, description="IP[:port] of a DNS server to ask directly; default the system's"
    )
    expect: DnsExpect = Field(default_factory=DnsExpect)

    @field_validator("record_type", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("resolver")
    @classmethod
    def _resolver_address(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_resolver(value)
            except ValueError:
                raise ValueError(
                    "expected the IP address of a DNS server, optionally with a port, such as "
                    f"9.9.9.9, 127.0.0.1:5353 or [::1]:53, got {value!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _addresses_for_address_records(self) -> DnsProbe:
        if self.record_type not in ("A", "AAAA"):
            return self
        version = 4 if self.record_type == "A" else 6
        for item in self.expect.contains:
            try:
                ok = ipaddress.ip_address(item).version == version
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(
                    f"`expect` contains {item!r}, which is not an IPv{version} address "
                    f"(`record_type` is {self.record_type})"
                )
        return self


class HeartbeatProbe(ProbeCommon):
    """Inbound: the integration calls the listener's /heartbeat/<integration>/<probe>; the
    scheduled run checks that the last heartbeat is at most `period + grace` old. Its `interval`
    defaults to `period` and its `retries` to 0 (seamwatch/configresolve.py)."""

    type: Literal["heartbeat"]
    period: Duration = Field(gt=0, description="how often the integration sends a heartbeat")
    grace: Duration | None = Field(
        None, ge=0, description="extra time allowed after `period`; default 20% of period"
    )
    secret: Secret | None = Field(
        None, description="HMAC-SHA256 key: heartbeats must carry X-Seamwatch-Signature"
    )

    @property
    def allowed_age(self) -> float:
        """Seconds a heartbeat stays good: period + grace."""
        grace = self.period * DEFAULT_GRACE_FRACTION if self.grace is None else self.grace
        return self.period + grace


class PythonProbe(ProbeCommon):
    type: Literal["python"]
    callable_: str = Field(
        alias="callable", description="package.module:function, importable beside the config"
    )
    args: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments for the function"
    )

    @field_validator("callable_")
    @classmethod
    def _callable_form(cls, value: str) -> str:
        if not CALLABLE_PATTERN.match(value.strip()):
            raise ValueError(
                f"expected `package.module:function` such as `checks.shop:probe`, got {value!r}"
            )
        return value.strip()
