"""An OpenAPI document at an http(s) URL: fetched with the integration's own client, under the
same origin rules as credentials (probes/http/origins.py: the credential goes along only when
the URL's origin is the integration's `base_url` origin, redirects are scoped hop by hop),
compiled in a worker thread, and cached per URL for `REFRESH_S`.

Runs that need the same document while it is being fetched wait for that one fetch. When a
refresh fails, the document fetched before keeps being used; with none to fall back on, the
step fails as `config`/`openapi_spec`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import httpx

from probes.credentials import AuthError, Credential
from probes.http.client import read_capped
from probes.http.hops import send_hops
from probes.http.openapi.contract import Contract
from probes.http.openapi.document import COMPILER, SpecProblem, compile_document, parse
from probes.http.origins import origin_of

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime

REFRESH_S = 3600.0
MAX_SPEC_BYTES = 16 * 1024 * 1024
_ACCEPT = "application/vnd.oai.openapi+json, application/json, application/yaml;q=0.9, */*;q=0.5"
_CACHE: dict[str, tuple[float, Contract]] = {}
_INFLIGHT: dict[str, asyncio.Task[Contract]] = {}
log = logging.getLogger(__name__)


async def remote_contract(rt: IntegrationRuntime, url: str) -> Contract:
    """The compiled document at `url`, from the cache or fetched now. Raises SpecProblem."""
    cached = _CACHE.get(url)
    if cached is not None and time.monotonic() - cached[0] < REFRESH_S:
        return cached[1]
    loop = asyncio.get_running_loop()
    task = _INFLIGHT.get(url)
    if task is None or task.done() or task.get_loop() is not loop:
        task = loop.create_task(_fetch(rt, url))
        _INFLIGHT[url] = task
        task.add_done_callback(lambda done: _INFLIGHT.pop(url, None) if
                               _INFLIGHT.get(url) is done else None)
    try:
        # Shielded: a run cut short by its deadline does not cancel others' fetch.
        return await asyncio.shield(task)
    except SpecProblem as problem:
        if cached is None:
            raise
        log.warning("keeping the OpenAPI document fetched before: %s", problem.message)
        return cached[1]


async def _credential(rt: IntegrationRuntime, url: str) -> Credential | None:
    home = origin_of(rt.spec.base_url)
    if rt.credentials is None or home is None or origin_of(url) != home:
        return None
    try:
        return await rt.credentials.current(rt.client)
    except AuthError:
        return None  # the auth probe reports it; the document may well be public


async def _fetch(rt: IntegrationRuntime, url: str) -> Contract:
    home = origin_of(rt.spec.base_url)
    try:
        request = rt.client.build_request("GET", url, headers={"Accept": _ACCEPT})
        sent = await send_hops(
            rt.client, request, credential=await _credential(rt, url),
            origins=frozenset({home}) if home is not None else frozenset(),
            redactor=rt.redactor, follow=True,
        )
        try:
            body, too_large = await read_capped(sent.response, MAX_SPEC_BYTES)
        finally:
            await sent.response.aclose()
    except httpx.HTTPError as exc:
        raise SpecProblem(f"cannot fetch {url}: {type(exc).__name__}: {exc}") from None
    status = sent.response.status_code
    if not 200 <= status < 300:
        raise SpecProblem(f"cannot fetch {url}: status {status}")
    if too_large:
        raise SpecProblem(f"{url} is larger than {MAX_SPEC_BYTES} bytes")
    loop = asyncio.get_running_loop()
    contract = await loop.run_in_executor(COMPILER, lambda: compile_document(parse(body), url))
    _CACHE[url] = (time.monotonic(), contract)
    return contract
