"""What the exchange (probes/http/exchange.py) asks of OpenAPI contracts: before a step's request
is sent, which operation of which document it must be checked against (`bind`); after, whether
the response keeps to it (`check`, in a worker thread).

A step is checked when it, or its integration, names a document (`openapi:`), unless the step
says `openapi: false`. Its operation is its `openapi.operation` (an operationId), else the one
its method and path name. A document that cannot be used, or no such operation, is a `config`
failure (`openapi_spec`, `openapi_operation`) before any request is sent.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import httpx

from probes.http.openapi.contract import Contract, Operation
from probes.http.openapi.document import COMPILER, SpecProblem, cached_local, load_local
from probes.http.openapi.remote import remote_contract
from probes.http.openapi.responses import MISSING, check_response

__all__ = ["MISSING", "Bound", "bind", "check"]
from probes.http.openapi.spec import OpenApiStep, is_url
from probes.result import Category, Failure

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime


class Bound(NamedTuple):
    """A step's request bound to the operation its response is checked against."""

    contract: Contract
    operation: Operation


Setting = OpenApiStep | Literal[False] | None  # a step's `openapi:` value


def _spec_of(rt: IntegrationRuntime, setting: Setting) -> str | None:
    if setting is False:
        return None
    if isinstance(setting, OpenApiStep) and setting.spec:
        return setting.spec
    integration = rt.spec.openapi
    return integration.spec if integration is not None else None


async def _contract(rt: IntegrationRuntime, spec: str) -> Contract:
    if is_url(spec):
        return await remote_contract(rt, spec)
    path = rt.base_dir / spec
    found = cached_local(path)  # compiled at config load: a stat, no parsing
    if found is not None:
        return found
    return await asyncio.get_running_loop().run_in_executor(COMPILER, load_local, path)


async def bind(
    rt: IntegrationRuntime, setting: Setting, request: httpx.Request
) -> Bound | Failure | None:
    """The operation `request` (a step's, before any redirect; `setting` its `openapi:`) is
    checked against; None when the step is not checked; a `config` Failure when it cannot be."""
    spec = _spec_of(rt, setting)
    if spec is None:
        return None
    try:
        contract = await _contract(rt, spec)
    except SpecProblem as problem:
        return Failure(Category.CONFIG, "openapi_spec", f"OpenAPI document {spec}: "
                       f"{problem.message}")
    wanted = setting.operation if isinstance(setting, OpenApiStep) else None
    if wanted is not None:
        found = contract.operations.get(wanted)
        if found is None:
            return Failure(Category.CONFIG, "openapi_operation",
                           f"no operation {wanted!r} in OpenAPI document {spec}")
        return Bound(contract, found)
    base = httpx.URL(rt.spec.base_url).path if rt.spec.base_url else ""
    found = contract.find(request.method, request.url.path, base)
    if found is None:
        return Failure(Category.CONFIG, "openapi_operation",
                       f"no operation in OpenAPI document {spec} matches {request.method} "
                       f"{request.url.path} (set `openapi: false` on the step to skip it)")
    return Bound(contract, found)


def check(bound: Bound, response: httpx.Response, body: bytes, doc: Any = MISSING
          ) -> Failure | None:
    """The response against the bound operation. CPU work: call it off the event loop."""
    return check_response(bound.contract, bound.operation, response.status_code,
                          response.headers, body, doc)
