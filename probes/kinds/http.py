"""The `http` probe kind: named steps run in order, each a request and the expectations on its
response, with one variable scope per run (`save:` in one step, `{{ name }}` in later ones).

The steps' models are in probes/http/spec.py, the exchange that runs them (credentials, retry on
401/403, the order in which checks fail) in probes/http/exchange.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from core.model import first_duplicate
from core.types import ByteSize
from probes.drift.spec import DriftPolicy
from probes.http.openapi.check import check_steps
from probes.http.spec import Step
from probes.kinds.base import CheckContext, KeyPath, ProbeCommon, ProbeKind
from probes.result import Attempt, StepStatus

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class HttpProbe(ProbeCommon):
    type: Literal["http"] = "http"
    steps: list[Step] = Field(min_length=1)
    max_body: ByteSize = Field(1024 * 1024, description="bytes of a response body read at most")
    follow_redirects: bool = True
    drift: DriftPolicy = Field(default_factory=DriftPolicy)

    @model_validator(mode="after")
    def _unique_steps(self) -> HttpProbe:
        duplicate = first_duplicate(step.name for step in self.steps)
        if duplicate is not None:
            raise ValueError(f"duplicate step name {duplicate!r}")
        return self


async def attempt(rt: IntegrationRuntime, probe: HttpProbe, into: Attempt) -> Attempt:
    # Imported here: the exchange pulls in httpx, jsonschema and jsonpath.
    from probes.drift.session import DriftSession
    from probes.http.exchange import run_http_attempt

    drift = None
    if rt.drift is not None and probe.drift.enabled:
        drift = DriftSession(rt.drift, rt.spec.name, probe.name, probe.drift)
    attempt = await run_http_attempt(rt, probe, into=into, drift=drift)
    if drift is not None:
        drift.finish(attempt)
    return attempt


def hung_step(probe: HttpProbe, cut_short: Attempt) -> str | None:
    """The step that was running when the deadline passed: one recorded as started but without
    an outcome, else the first step not recorded at all."""
    for recorded in cut_short.steps:
        if recorded.status is StepStatus.FAILED and recorded.failure is None:
            return recorded.name
    done = {s.name for s in cut_short.steps}
    return next((s.name for s in probe.steps if s.name not in done), None)


def check(probe: Mapping[str, Any], context: CheckContext) -> list[tuple[KeyPath, str]]:
    """Steps checked against an OpenAPI document must name operations it has."""
    return check_steps(probe, context.base_dir, context.integration)


KIND = ProbeKind("http", HttpProbe, attempt, check=check, hung_step=hung_step)
