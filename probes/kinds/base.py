"""What every probe kind shares: the common probe keys (`ProbeCommon`) and the kind descriptor
(`ProbeKind`) each module in probes/kinds/ exports as `KIND` for the registry (probes/registry.py).

A kind module holds its config model (a `ProbeCommon` subclass whose `type` is a Literal of the
kind's name) and its `attempt()`. It is imported whenever the config is loaded, so its top level
imports only what the model needs; what running needs (httpx, asyncio, ssl, dnspython...) is
imported inside `attempt()`, and `IntegrationRuntime` only for annotations (TYPE_CHECKING). See
docs/architecture.md, Probe kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

from pydantic import ConfigDict, Field

from core.model import NAME_PATTERN, StrictModel
from core.policy import AlertPolicy
from core.slo import SloSpec
from core.types import Duration
from probes.result import Attempt

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class ProbeCommon(StrictModel):
    # Each kind's validator is built on first direct use: the config validates probes through
    # IntegrationSpec's union (probes/spec.py), so building one per kind at import is wasted.
    model_config = ConfigDict(defer_build=True)

    name: str = Field(pattern=NAME_PATTERN)
    description: str | None = None
    enabled: bool = True
    interval: Duration = Field(60.0, gt=0)
    timeout: Duration = Field(10.0, gt=0, description="whole run, all steps and retries")
    retries: int = Field(1, ge=0, le=10, description="extra attempts after a failure")
    alerts: AlertPolicy = Field(default_factory=AlertPolicy)
    slo: SloSpec | None = Field(None, description="this probe's own service level objective")
    locations: list[str] | None = Field(
        None, min_length=1,
        description="the runner locations (runner.location) that run this probe; every "
                    "location when unset")
    type: str  # each kind narrows it to a Literal of its name (the union's discriminator)

    def kind_defaults(self) -> dict[str, Any]:
        """Values this kind uses for the inherited keys (interval, timeout, retries...) the probe
        does not set itself, in place of the integration's or `defaults:` values."""
        return {}


P = TypeVar("P", bound=ProbeCommon)
KeyPath = tuple[str | int, ...]


class CheckContext(NamedTuple):
    """What a kind's config check knows besides the probe's own mapping."""

    base_dir: Path  # the config file's folder
    listener_enabled: bool  # `runner.listen` is not null: `serve` receives heartbeats
    integration: Mapping[str, Any] | None = None  # the probe's integration, as written


# A check the model cannot make (the file system, other sections): it gets the probe's mapping as
# written (after ${ENV} substitution, possibly invalid elsewhere) and returns (key path within the
# probe, message) pairs.
ConfigCheck = Callable[[Mapping[str, Any], CheckContext], list[tuple[KeyPath, str]]]


class ProbeKind(NamedTuple, Generic[P]):
    """One probe kind, as the registry lists it (a NamedTuple: cheaper to define than a
    dataclass, and this module is imported whenever the config is loaded)."""

    name: str  # the `type:` value
    model: type[P]
    # One attempt: `into` collects the steps as they start, so that a deadline cutting the
    # attempt short still shows where it was (only kinds with several steps need it).
    attempt: Callable[[IntegrationRuntime, P, Attempt], Awaitable[Attempt]]
    check: ConfigCheck | None = None
    # The step a deadline cut short, for the timeout message (kinds with several steps).
    hung_step: Callable[[P, Attempt], str | None] | None = None
    user_writable: bool = True  # False: built by the config resolution, never written in a file
