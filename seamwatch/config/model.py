"""The whole config file as one pydantic model, composed from each part's spec, and its JSON Schema
(`seamwatch schema`)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator

from alerts.channels.registry import AnyChannel
from alerts.routing import RouteSpec
from alerts.spec import EmailSpec, MaintenanceSpec, NotifySpec
from core.model import NAME_PATTERN, StrictModel
from core.types import Duration
from probes.spec import IntegrationSpec, ProbeDefaults
from storage.spec import StorageSpec

_LISTEN = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9.-]+)):(?P<port>\d{1,5})$")
LISTEN_HINT = "expected host:port such as 127.0.0.1:9465 or [::1]:9465"


def parse_listen(value: str) -> tuple[str, int]:
    """`"127.0.0.1:9465"` -> ("127.0.0.1", 9465); port 0 picks a free port."""
    found = _LISTEN.match(value.strip())
    if found is None:
        raise ValueError(f"{LISTEN_HINT}, got {value!r}")
    port = int(found.group("port"))
    if port > 65535:
        raise ValueError(f"port {port} is outside 0-65535")
    return found.group("v6") or found.group("host"), port


class RunnerSpec(StrictModel):
    """`runner:` — this process: the label on its results, its concurrency, its listener and
    its lease among several runners."""

    location: str = Field("local", min_length=1, description="label stored on every result")
    concurrency: int = Field(100, ge=1, description="probe runs in flight at once")
    listen: str | None = Field(
        "127.0.0.1:9465",
        description="host:port for heartbeats, /metrics and /healthz; null to disable",
        json_schema_extra={"examples": ["127.0.0.1:9465", "[::1]:9465"]},
    )
    state_dir: str = Field(
        ".seamwatch", description="folder for rotated refresh tokens, relative to the config file"
    )
    lease: Duration = Field(
        30.0, ge=1.0, le=600.0,
        description="PostgreSQL, several runners: how soon a runner that stopped answering has "
                    "its probes and the email it was sending taken over by the others",
    )

    @field_validator("listen")
    @classmethod
    def _listen_address(cls, value: str | None) -> str | None:
        if value is not None:
            parse_listen(value)
        return value


class ConfigFile(StrictModel):
    """The top level of `seamwatch.yaml`."""

    model_config = ConfigDict(
        extra="forbid", title="seamwatch configuration", populate_by_name=True
    )

    version: Literal[1] | None = Field(None, description="config format version")
    storage: StorageSpec = Field(default_factory=StorageSpec)
    runner: RunnerSpec = Field(default_factory=RunnerSpec)
    defaults: ProbeDefaults = Field(default_factory=ProbeDefaults)
    email: EmailSpec | None = Field(
        None, description="the old single email channel; prefer `channels:` and `notifications:`")
    notifications: NotifySpec | None = None
    channels: dict[Annotated[str, StringConstraints(pattern=NAME_PATTERN)], AnyChannel] | None = (
        Field(None, description="named alert channels: email, webhook, apprise"))
    routes: list[RouteSpec] | None = Field(
        None, description="which channels get which notice; first match wins unless `continue`")
    maintenance: list[MaintenanceSpec] = Field(default_factory=list)
    integrations: list[IntegrationSpec] = Field(min_length=1)


def config_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the config file, for editors and `seamwatch schema`."""
    schema = ConfigFile.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
