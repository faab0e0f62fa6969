"""One attempt of a `webhook` probe (probes/kinds/webhook.py): subscribe to the endpoint, run the
trigger steps (the `http` exchange, with their saved values kept), then wait for the delivery.

Timing: the wait starts when the LAST trigger step sent its request (the one that causes the
event), and the `webhook` step's latency is the delivery latency, from that moment to the
delivery's arrival; each trigger step records its own latency.

Verdicts, in order: a trigger step failing fails the run as an `http` probe would (no wait); a
delivery that matches but fails its signature is `auth` at once (`bad_signature`,
`stale_timestamp`: the provider is calling, but with the wrong secret or late); no matching
authentic delivery within `within` is `timeout`/`webhook_not_received` (the message counts the
deliveries rejected meanwhile); a match whose body fails `expect:` is `assertion` (or `schema`).
Deliveries are counted by delivery id: a retry repeating one is a duplicate (`settle:` keeps
listening after the match to see them).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from core.types import format_duration
from probes.http.exchange import HttpSteps, run_http_attempt
from probes.http.expectations import check_body_contains, check_json
from probes.http.spec import Matcher
from probes.http.templating import Scope, TemplateError
from probes.result import Attempt, Category, Failure, StepResult, StepStatus
from probes.runtime import IntegrationRuntime
from probes.webhooks.inbox import NOT_JSON, Delivery, Subscription
from probes.webhooks.spec import WAIT_STEP, SignatureSpec


class BodyExpectations(Protocol):
    @property
    def json_(self) -> Mapping[str, Matcher]: ...

    @property
    def body_contains(self) -> str | list[str] | None: ...


class RoundTripSpec(HttpSteps, Protocol):
    """What a round trip reads of a `webhook` probe's config (probes/kinds/webhook.py): its
    trigger steps as an `http` probe's, and the wait."""

    @property
    def name(self) -> str: ...

    @property
    def signature(self) -> SignatureSpec | None: ...

    @property
    def match(self) -> Mapping[str, str | int | float | bool | Matcher]: ...

    @property
    def within(self) -> float: ...

    @property
    def settle(self) -> float: ...

    @property
    def expect(self) -> BodyExpectations: ...


@dataclass(slots=True)
class _Tally:
    matched: Delivery | None = None
    deliveries: int = 0  # matching, authentic (duplicates included)
    duplicates: int = 0
    rejected: int = 0  # deliveries that failed their signature and matched nothing
    rejection: str | None = None  # the last one's message


async def run_round_trip(rt: IntegrationRuntime, probe: RoundTripSpec, into: Attempt) -> Attempt:
    inbox = rt.webhooks
    if inbox is None:
        into.steps.append(StepResult(WAIT_STEP, StepStatus.FAILED))
        return into.conclude(Failure(
            Category.CONFIG, "no_listener",
            "webhooks are received by `seamwatch serve` (runner.listen); this process cannot "
            "wait for them"))
    subscription = inbox.subscribe(f"{rt.spec.name}/{probe.name}", probe.signature)
    try:
        scope = Scope()
        await run_http_attempt(rt, probe, into=into, scope=scope)
        finished = time.monotonic()
        if into.failure is not None:
            return into
        sent_at = finished - (into.steps[-1].latency_ms or 0.0) / 1000.0
        into.steps.append(StepResult(WAIT_STEP, StepStatus.FAILED))
        try:
            failure = await _wait(probe, subscription, scope, sent_at, into.steps[-1])
        except TemplateError as exc:
            failure = Failure(Category.CONFIG, "unknown_variable",
                              f"unknown template variable {exc.name!r}")
        last = inbox.last_seen(f"{rt.spec.name}/{probe.name}")
        if failure is not None and failure.reason == "webhook_not_received" and last:
            when = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(last))
            failure = Failure(failure.category, failure.reason,
                              f"{failure.message}; the last authentic delivery was at {when}")
        return into.conclude(failure)
    finally:
        subscription.close()


def _selected(probe: RoundTripSpec, delivery: Delivery, scope: Scope) -> bool:
    if delivery.doc is NOT_JSON:
        return not probe.match
    rules = {path: rule if isinstance(rule, Matcher) else Matcher(equals=rule)
             for path, rule in probe.match.items()}
    return check_json(rules, delivery.doc, scope) is None


async def _wait(probe: RoundTripSpec, subscription: Subscription, scope: Scope, sent_at: float,
                step: StepResult) -> Failure | None:
    tally = _Tally()
    deadline = sent_at + probe.within
    while (remaining := deadline - time.monotonic()) > 0:
        delivery = await subscription.next(remaining)
        if delivery is None:
            break
        if not _selected(probe, delivery, scope):
            if not delivery.verdict.ok:
                tally.rejected += 1
                tally.rejection = delivery.verdict.message
            continue
        if not delivery.verdict.ok:
            if tally.matched is None:
                step.latency_ms = max(0.0, delivery.received_mono - sent_at) * 1000.0
                return Failure(Category.AUTH, delivery.verdict.reason or "bad_signature",
                               f"the matching webhook was rejected: {delivery.verdict.message}")
            continue
        tally.deliveries += 1
        tally.duplicates += delivery.duplicate
        if tally.matched is None:
            tally.matched = delivery
            if probe.settle <= 0:
                break
            deadline = time.monotonic() + probe.settle
    if tally.matched is None:
        step.latency_ms = max(0.0, time.monotonic() - sent_at) * 1000.0
        message = f"no matching webhook within {format_duration(probe.within)}"
        if tally.rejected:
            message += (f"; {tally.rejected} other deliver{'y' if tally.rejected == 1 else 'ies'}"
                        f" rejected ({tally.rejection})")
        return Failure(Category.TIMEOUT, "webhook_not_received", message)
    step.latency_ms = max(0.0, tally.matched.received_mono - sent_at) * 1000.0
    plural = "y" if tally.deliveries == 1 else "ies"
    step.note = f"{tally.deliveries} deliver{plural}, {tally.duplicates} duplicate(s)"
    return _check_body(probe, tally.matched, scope)


def _check_body(probe: RoundTripSpec, delivery: Delivery, scope: Scope) -> Failure | None:
    expect = probe.expect
    if expect.json_:
        if delivery.doc is NOT_JSON:
            return Failure(Category.SCHEMA, "invalid_json", "the webhook body is not JSON")
        failure = check_json(dict(expect.json_), delivery.doc, scope)
        if failure is not None:
            return Failure(failure.category, failure.reason, f"webhook body: {failure.message}")
    if expect.body_contains is not None:
        text = delivery.body.decode("utf-8", errors="replace")
        return check_body_contains(expect.body_contains, text, scope)
    return None
