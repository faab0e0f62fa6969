"""The `python` probe kind: call `package.module:function(ctx, **args)` for integrations best
exercised through their SDK. One step, `call`. How the function is found, what `ctx` offers and
how sync and async functions run is in probes/calls.py; messages are redacted and capped here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from time import perf_counter
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from probes.kinds.base import CheckContext, KeyPath, ProbeCommon, ProbeKind
from probes.result import Attempt, StepResult, StepStatus

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime

STEP = "call"
MAX_MESSAGE = 500
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CALLABLE_PATTERN = re.compile(rf"^{_IDENT}(?:\.{_IDENT})*:{_IDENT}(?:\.{_IDENT})*$")


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


async def attempt(rt: IntegrationRuntime, probe: PythonProbe, into: Attempt) -> Attempt:
    from probes.calls import call  # here: it pulls in asyncio, threads and httpx

    step = StepResult(STEP, StepStatus.FAILED)
    attempt = Attempt(steps=[step])
    started = perf_counter()
    failure = await call(rt, probe.name, probe.callable_, probe.args, probe.timeout)
    step.latency_ms = (perf_counter() - started) * 1000.0
    if failure is not None:
        failure = failure.redacted(rt.redactor, MAX_MESSAGE)
    return attempt.conclude(failure)


def check_config(probe: Mapping[str, Any], context: CheckContext) -> list[tuple[KeyPath, str]]:
    """`callable` must import (the config's folder is on the module search path) and be callable.
    A missing or malformed `callable` is left to the model."""
    target = probe.get("callable")
    if not isinstance(target, str) or not CALLABLE_PATTERN.match(target.strip()):
        return []
    from probes.calls import CallableError, resolve_callable  # here: see attempt()

    try:
        resolve_callable(target.strip(), context.base_dir)
    except CallableError as error:
        return [(("callable",), str(error))]
    return []


KIND = ProbeKind("python", PythonProbe, attempt, check=check_config)
