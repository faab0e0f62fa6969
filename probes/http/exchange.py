"""One attempt of an `http` probe (probes/kinds/http.py): its steps in order, with one variable
scope per run.

- A step with `critical: false` that fails is recorded FAILED with its category and reason, but
  the attempt passes and the run is `degraded` (probes/run.py); later steps still run.
- After a failure, later steps are SKIPPED unless `always_run`; those run and are recorded, but
  the attempt keeps the first failure. An `always_run` step that needs a variable the failed run
  never saved (a clean-up of something never created) is SKIPPED instead of a `config` failure.
- The credential is attached unless `auth: false`, and only to the origins it is configured for:
  the integration's `base_url` and the origin a step's `url` names literally. Redirects are
  followed hop by hop (probes/http/hops.py) so every hop is scoped: a hop to another origin (or a
  saved absolute URL elsewhere) goes without the credential and secret headers, and the step's
  note (stored as its message) says so.
- On an unexpected 401/403 with the credential sent, the provider's `refresh()` is called once
  and the step retried, unless refresh returned the same credential (a static one: retrying
  could not help). Still 401/403 -> `auth` (http_401/http_403).
- Precedence when several checks fail: status, then body size, invalid JSON, the OpenAPI
  contract (probes/http/openapi/: its operation is bound before the request is sent), JSON
  Schema, GraphQL errors (probes/http/graphql.py), JSONPath matchers, batch items
  (probes/http/items.py), headers, body_contains, save, the learned shape (`drift`,
  probes/drift/), and `latency_under` (`slow`) last.
- `max_body` caps the DECODED body; past it the read stops and the step fails with
  `schema`/`body_too_large` (the body is not what the probe expects, and nothing past the cap is
  ever held in memory). Raise `max_body` for big downloads.
- A hostile body is the server's problem, not seamwatch's: JSON nested too deeply to parse or
  check is `schema`/`json_too_deep`, a charset Python cannot decode `schema`/`unknown_charset`.
  Parsing bodies over 64 KiB, JSON Schema and OpenAPI validation run in a worker thread.
- No retries here (probes/run.py retries); no request headers or bodies are recorded; every message
  passes through the integration's redactor.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Any, Protocol

import httpx

from core.redact import Redactor
from probes.certs import peer_not_after
from probes.classify import classify_exception, classify_status
from probes.credentials import AuthError, Credential
from probes.drift.session import DriftSession
from probes.http import graphql
from probes.http.client import read_capped
from probes.http.expectations import (
    UnknownCharset,
    check_body_contains,
    check_headers,
    check_json,
    decode_text,
    extract,
    status_mismatch,
    status_ok,
    too_deep,
    unknown_charset,
)
from probes.http.hops import send_hops
from probes.http.items import check_items
from probes.http.lean import build_request
from probes.http.openapi import step as openapi
from probes.http.origins import Origin, literal_origin, origin_of
from probes.http.ratelimit import parse_rate_limit
from probes.http.schemas import check_schema
from probes.http.spec import Step
from probes.http.templating import Scope, TemplateError
from probes.http.tracing import PhaseTracer
from probes.result import (
    Attempt,
    Category,
    Expiry,
    ExpiryKind,
    Failure,
    StepResult,
    StepStatus,
    note_expiry,
    note_not_critical,
)
from probes.runtime import IntegrationRuntime

_SNIPPET = 200
_INLINE_BODY = 64 * 1024  # bodies parsed on the event loop; bigger ones in a worker thread
# Checks are CPU-bound and hold the GIL: more threads than cores would not finish them sooner.
_CHECKS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="seamwatch-checks")
_UNPARSED = object()
_AUTH_STATUSES = (401, 403)


class HttpSteps(Protocol):
    """What the exchange reads of an `http` probe's config (HttpProbe, probes/kinds/http.py)."""

    @property
    def steps(self) -> Sequence[Step]: ...

    @property
    def max_body(self) -> int: ...

    @property
    def follow_redirects(self) -> bool: ...


@dataclass(slots=True)
class _Exchange:
    response: httpx.Response
    body: bytes
    too_large: bool
    credential_sent: bool = True
    contract: openapi.Bound | None = None  # the OpenAPI operation the response is checked against


async def run_http_attempt(
    rt: IntegrationRuntime, probe: HttpSteps, *, into: Attempt | None = None,
    drift: DriftSession | None = None,
    scope: Scope | None = None,
) -> Attempt:
    """Run the probe's steps once. Pass `into` to see the steps finished so far even when the
    caller's deadline cancels the attempt, `drift` to judge responses against their learned
    shapes (probes/drift/session.py) once a step's own checks pass, and `scope` to read the
    saved values afterwards."""
    attempt = into if into is not None else Attempt()
    scope = scope if scope is not None else Scope()
    for step in probe.steps:
        if attempt.failure is not None and not step.always_run:
            attempt.steps.append(StepResult(step.name, StepStatus.SKIPPED))
            continue
        result = StepResult(step.name, StepStatus.FAILED)
        attempt.steps.append(result)
        try:
            await _run_step(rt, probe, step, scope, attempt, result, drift)
        except TemplateError as exc:
            result.failure = Failure(
                Category.CONFIG, "unknown_variable", f"unknown template variable {exc.name!r}"
            )
        except Exception as exc:  # a bug must not lose the run: classify it (internal)
            result.failure = classify_exception(exc)
        if result.failure is None:
            if result.status is StepStatus.FAILED:
                result.status = StepStatus.OK
            result.redact(rt.redactor)
            continue
        if result.note:
            result.failure = Failure(result.failure.category, result.failure.reason,
                                     f"{result.failure.message} ({result.note})")
        result.redact(rt.redactor)
        if not step.critical:  # its failure degrades the run and skips nothing
            note_not_critical(attempt, result)
        elif attempt.failure is None:
            attempt.failure = result.failure
            attempt.failed_step = step.name
    return attempt


def _build(rt: IntegrationRuntime, step: Step, scope: Scope) -> httpx.Request:
    target = step.url if step.url is not None else step.path
    params = {k: scope.render(v) if isinstance(v, str) else v
              for k, v in step.params.items()} if step.params else None
    kwargs: dict[str, Any] = {}
    if step.headers:
        kwargs["headers"] = {k: scope.render(v) for k, v in step.headers.items()}
    if step.kind == "graphql":
        kwargs["json"] = graphql.request_body(step, scope)
    elif step.json_ is not None:
        kwargs["json"] = scope.render_value(step.json_)
    elif step.body is not None:
        kwargs["content"] = scope.render(step.body).encode()
    elif step.form is not None:
        kwargs["data"] = {k: scope.render(v) for k, v in step.form.items()}
    return build_request(rt.client, step.method, scope.render(target or ""), params, **kwargs)


def _allowed_origins(rt: IntegrationRuntime, step: Step) -> frozenset[Origin]:
    """Where this step may send the credential and secret headers: the integration's base_url
    origin and the origin its `url` names literally (not one filled from a saved value)."""
    found = {origin_of(rt.spec.base_url), literal_origin(step.url)}
    return frozenset(origin for origin in found if origin is not None)


async def _run_step(
    rt: IntegrationRuntime, probe: HttpSteps, step: Step, scope: Scope, attempt: Attempt,
    result: StepResult, drift: DriftSession | None,
) -> None:
    try:
        request = _build(rt, step, scope)
    except TemplateError:
        if attempt.failure is not None:  # clean-up of something the failed run never made
            result.status = StepStatus.SKIPPED
            return
        raise
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        result.failure = classify_exception(exc)
        return
    contract = await openapi.bind(rt, step.openapi, request)
    if isinstance(contract, Failure):
        result.failure = contract
        return
    credential: Credential | None = None
    provider = rt.credentials if step.auth else None
    origins = _allowed_origins(rt, step)
    try:
        if provider is not None:
            credential = await provider.current(rt.client)
        exchange = await _exchange(rt, probe, request, credential, origins, result, attempt)
        if (
            exchange is not None
            and provider is not None
            and credential is not None
            and exchange.credential_sent
            and exchange.response.status_code in _AUTH_STATUSES
            and not status_ok(step.expect.status, exchange.response.status_code)
        ):
            fresh = await provider.refresh(rt.client, credential)
            if fresh is not credential and (fresh.headers, fresh.params) != (
                credential.headers, credential.params
            ):
                request = _build(rt, step, scope)
                result.note = None
                exchange = await _exchange(rt, probe, request, fresh, origins, result, attempt)
    except AuthError as exc:
        result.failure = exc.failure
        return
    if exchange is not None:
        exchange.contract = contract
        result.failure = await _off_loop_if_heavy(rt, probe, step, scope, exchange, result,
                                                  drift)


async def _exchange(
    rt: IntegrationRuntime, probe: HttpSteps, request: httpx.Request,
    credential: Credential | None, origins: frozenset[Origin], result: StepResult,
    attempt: Attempt,
) -> _Exchange | None:
    """Send (hop by hop, scoped) and read the capped body; on a transport error set
    result.failure, return None."""
    tracer = PhaseTracer()
    request.extensions["trace"] = tracer
    started = perf_counter()
    try:
        sent = await send_hops(
            rt.client, request, credential=credential, origins=origins,
            redactor=rt.redactor, follow=probe.follow_redirects,
        )
        response = sent.response
        result.note = sent.note
        result.http_status = response.status_code
        try:
            tracer.body_start = perf_counter()
            body, too_large = await read_capped(response, probe.max_body)
            tracer.body_end = perf_counter()
            if tracer.new_tls_connection:
                _record_cert(response, attempt)
        finally:
            await response.aclose()
    except Exception as exc:
        result.latency_ms = (perf_counter() - started) * 1000.0
        result.phases = tracer.phases()
        result.failure = classify_exception(exc)
        return None
    result.latency_ms = (perf_counter() - started) * 1000.0
    result.phases = tracer.phases()
    result.rate_limit = parse_rate_limit(response.headers, status=response.status_code)
    return _Exchange(response, body, too_large, sent.credential_sent)


def _record_cert(response: httpx.Response, attempt: Attempt) -> None:
    """The certificate of a connection this attempt opened: its days left, and its expiry as
    the origin's (every HTTPS origin a probe touches is in the expiry list)."""
    stream = response.extensions.get("network_stream")
    if stream is None:
        return
    not_after = peer_not_after(stream.get_extra_info("ssl_object"))
    if not_after is None:
        return
    days = (not_after - time.time()) / 86400.0
    if attempt.cert_days_left is None or days < attempt.cert_days_left:
        attempt.cert_days_left = days
    url = response.url
    subject = f"{url.host}:{url.port or 443}"
    note_expiry(attempt.expiries, Expiry(ExpiryKind.CERTIFICATE, subject, not_after))


def _text(exchange: _Exchange) -> str:
    """The body as text for a message: in its charset, or as UTF-8 when that is unusable."""
    try:
        return decode_text(exchange.body, exchange.response.charset_encoding)
    except UnknownCharset:
        return exchange.body.decode("utf-8", errors="replace")


def _with_snippet(failure: Failure, exchange: _Exchange, redactor: Redactor) -> Failure:
    # The whole body is redacted before it is cut (core/redact.py), so no secret is split.
    snippet = redactor.redact_and_cut(" ".join(_text(exchange).split()), _SNIPPET)
    if not snippet:
        return failure
    return Failure(failure.category, failure.reason, f"{failure.message}: {snippet}")


async def _off_loop_if_heavy(
    rt: IntegrationRuntime, probe: HttpSteps, step: Step, scope: Scope, exchange: _Exchange,
    result: StepResult, drift: DriftSession | None,
) -> Failure | None:
    """The step's checks (_evaluate). Parsing a big body and JSON Schema validation are CPU
    work that grows with the body, so they run in a worker thread and the event loop stays free
    (listener, heartbeats, other probes). Their own small pool, not the loop's default executor,
    so slow validations never hold up the DNS lookups that executor runs. The attempt awaits the
    thread, so nothing else touches `scope` meanwhile."""
    if step.expect.schema_ or exchange.contract or len(exchange.body) > _INLINE_BODY:
        check = partial(_evaluate, rt, probe, step, scope, exchange, result, drift)
        return await asyncio.get_running_loop().run_in_executor(_CHECKS, check)
    return _evaluate(rt, probe, step, scope, exchange, result, drift)


def _evaluate(
    rt: IntegrationRuntime, probe: HttpSteps, step: Step, scope: Scope, exchange: _Exchange,
    result: StepResult, drift: DriftSession | None = None,
) -> Failure | None:
    expect = step.expect
    status = exchange.response.status_code
    failure: Failure | None = None
    if not status_ok(expect.status, status):
        failure = classify_status(status, exchange.response.headers)
        failure = _with_snippet(failure or status_mismatch(expect.status, status), exchange,
                                rt.redactor)
    if exchange.too_large:
        return failure or Failure(
            Category.SCHEMA, "body_too_large", f"body larger than max_body ({probe.max_body} bytes)"
        )
    doc: Any = _UNPARSED
    if expect.json_ or expect.schema_ or step.save or expect.items or graphql.wants_graphql(step):
        try:
            doc = json.loads(exchange.body)
        except ValueError as exc:
            failure = failure or Failure(
                Category.SCHEMA, "invalid_json", f"body is not valid JSON: {exc}"
            )
        except RecursionError:
            failure = failure or too_deep()
    try:
        failure = _body_checks(rt, step, scope, exchange, doc, failure)
    except RecursionError:  # a document parsed but too deep to walk (schema, JSONPath, matchers)
        failure = failure or too_deep()
    if failure is None and drift is not None:
        failure = drift.check(step.name, status, exchange.response.headers.get("content-type"),
                              exchange.body, doc, doc is not _UNPARSED)
    limit = expect.latency_under
    if failure is None and limit is not None and (result.latency_ms or 0.0) > limit * 1000.0:
        failure = Failure(
            Category.SLOW, "latency_exceeded",
            f"took {result.latency_ms:.0f} ms, expected under {limit * 1000.0:.0f} ms",
        )
    return failure


def _body_checks(
    rt: IntegrationRuntime, step: Step, scope: Scope, exchange: _Exchange, doc: Any,
    failure: Failure | None,
) -> Failure | None:
    """The checks after parsing, in their order of precedence; `doc` is _UNPARSED when the body
    was not (or could not be) parsed."""
    expect = step.expect
    save_failure: Failure | None = None
    if doc is not _UNPARSED and step.save:  # saved even when a check fails, for clean-up steps
        saved, save_failure = extract(step.save, doc)
        scope.values.update(saved)
    if failure is None and exchange.contract is not None:
        parsed = openapi.MISSING if doc is _UNPARSED else doc
        failure = openapi.check(exchange.contract, exchange.response, exchange.body, parsed)
    if failure is None and expect.schema_:
        failure = check_schema(rt.base_dir / expect.schema_, doc)
    if failure is None and graphql.wants_graphql(step):  # before JSONPath: errors say more
        failure = graphql.check_graphql(doc)
    if failure is None and expect.json_:
        failure = check_json(expect.json_, doc, scope)
    if failure is None and expect.items is not None:
        failure = check_items(expect.items, doc, scope)
    if failure is None and expect.headers:
        failure = check_headers(expect.headers, exchange.response.headers, scope)
    if failure is None and expect.body_contains is not None:
        try:
            text = decode_text(exchange.body, exchange.response.charset_encoding)
        except UnknownCharset as exc:
            failure = unknown_charset(exc.charset)
        else:
            failure = check_body_contains(expect.body_contains, text, scope)
    return failure or save_failure
