"""The probe part of the config schema: integrations (with their `auth:` block and probes) and
`defaults:`.

Pydantic models with `extra="forbid"` so an unknown key is an error (the config loader adds the
line and a "did you mean"). Fields whose inherited value matters (interval, timeout, retries,
alerts) keep their built-in defaults in each kind's model; seamwatch's config resolution layers
`defaults:` and the integration's own values over them using `model_fields_set`.

The probe models are the kinds' (probes/kinds/); `ProbeSpec`, their union, is derived from the
registry (probes/registry.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from pydantic import Field, model_validator

from core.model import NAME_PATTERN, StrictModel, first_duplicate
from core.policy import AlertPolicy
from core.slo import SloSpec
from core.types import ByteSize, Duration
from probes.auth.spec import AuthSpec, NoAuth
from probes.drift.spec import DriftPolicy
from probes.http.openapi.spec import OpenApiSource
from probes.kinds.base import ProbeCommon
from probes.registry import PROBE_KINDS, probe_union

__all__ = [
    "NAME_PATTERN", "PROBE_KINDS", "AnyProbe", "AuthSpec", "IntegrationSpec", "ProbeDefaults",
    "ProbeSpec",
]

# Any probe of any kind, the synthetic `auth` one included: each kind's model subclasses it.
AnyProbe: TypeAlias = ProbeCommon

if TYPE_CHECKING:
    ProbeSpec: TypeAlias = ProbeCommon
else:
    # The discriminated union of the kinds users may write. Built from the registry at import
    # time, so the type checker sees it as the models' common base.
    ProbeSpec = probe_union()


class IntegrationSpec(StrictModel):
    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    base_url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    auth: AuthSpec | None = None
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    slo: SloSpec | None = Field(None, description="objective over all of its probes' runs")
    interval: Duration | None = Field(None, gt=0)
    timeout: Duration | None = Field(None, gt=0)
    retries: int | None = Field(None, ge=0, le=10)
    locations: list[str] | None = Field(
        None, min_length=1, description="the runner locations that run this integration's probes")
    verify_tls: bool = True
    ca_file: str | None = Field(None, description="PEM bundle to trust for this integration")
    openapi: OpenApiSource | None = Field(
        None, description="check every http step against this OpenAPI document"
    )
    probes: list[ProbeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_probes(self) -> IntegrationSpec:
        duplicate = first_duplicate(probe.name for probe in self.probes)
        if duplicate is not None:
            raise ValueError(f"duplicate probe name {duplicate!r}")
        if self.auth is not None and any(probe.name == "auth" for probe in self.probes):
            raise ValueError("probe name 'auth' is reserved for the integration's auth probe")
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
    drift: DriftPolicy = Field(default_factory=DriftPolicy)
    slo: SloSpec | None = Field(None, description="every integration's objective unless it sets "
                                "its own")
