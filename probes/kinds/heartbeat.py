"""The `heartbeat` probe kind: inbound liveness. The integration calls the `serve` listener's
`POST /heartbeat/<integration>/<probe>` at least every `period` (the listener records it in
probes/heartbeats.py, which also checks signatures); the probe's scheduled run fails with
`timeout`/`heartbeat_missed` when the last valid heartbeat is older than `period + grace`.

With `signature:` the probe is also a passive webhook endpoint: a provider calling on its own
posts to `/webhook/<integration>/<probe>`, verified by the scheme (probes/webhooks/signatures.py).
Every run reports its `window` of receipts (deliveries, duplicates, signature failures, lag) as
the step's note, and fails `auth`/`signature_failures` when more than
`max_signature_failure_ratio` of them failed their signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from core.types import Duration, Secret, format_duration
from probes.kinds.base import CheckContext, KeyPath, ProbeCommon, ProbeKind
from probes.result import Attempt, Category, Failure, StepResult, StepStatus
from probes.webhooks.spec import SignatureSpec

if TYPE_CHECKING:
    from probes.heartbeats import LastBeat
    from probes.runtime import IntegrationRuntime
    from probes.webhooks.window import WindowStats

STEP = "heartbeat"
DEFAULT_GRACE_FRACTION = 0.2


class HeartbeatProbe(ProbeCommon):
    """Inbound: the integration calls the listener's /heartbeat/<integration>/<probe>; the
    scheduled run checks that the last heartbeat is at most `period + grace` old. Its `interval`
    defaults to `period` and its `retries` to 0 (seamwatch/configresolve.py)."""

    # The docstring above is the JSON Schema's description of the kind (`seamwatch schema`).

    type: Literal["heartbeat"]
    period: Duration = Field(gt=0, description="how often the integration sends a heartbeat")
    grace: Duration | None = Field(
        None, ge=0, description="extra time allowed after `period`; default 20% of period"
    )
    secret: Secret | None = Field(
        None, description="HMAC-SHA256 key: heartbeats must carry X-Seamwatch-Timestamp "
                          "and X-Seamwatch-Signature (of \"<timestamp>.\" + body)",
    )
    signature: SignatureSpec | None = Field(
        None, description="receive a provider's webhooks at /webhook/<integration>/<probe>, "
                          "verified by this scheme")
    window: Duration | None = Field(
        None, gt=0, description="the span the delivery counts cover; default `period`")
    max_signature_failure_ratio: float | None = Field(
        None, gt=0, le=1, description="fail (auth) when more of the window's deliveries than "
                                      "this fraction failed their signature")

    @model_validator(mode="after")
    def _one_signature(self) -> HeartbeatProbe:
        if self.secret is not None and self.signature is not None:
            raise ValueError("set `secret` (seamwatch's own heartbeat signature) or "
                             "`signature` (a provider's webhook scheme), not both")
        return self

    @property
    def window_s(self) -> float:
        return self.period if self.window is None else self.window

    @property
    def allowed_age(self) -> float:
        """Seconds a heartbeat stays good: period + grace."""
        grace = self.period * DEFAULT_GRACE_FRACTION if self.grace is None else self.grace
        return self.period + grace

    def kind_defaults(self) -> dict[str, Any]:
        # A passive check: it runs once a period unless told otherwise, and retrying it within
        # a run would only delay the verdict.
        return {"interval": self.period, "retries": 0}


def heartbeat_probes(entries: Iterable[tuple[str, object]]) -> list[tuple[str, HeartbeatProbe]]:
    """The (key, spec) pairs of the heartbeat probes among (key, probe) pairs."""
    return [(key, probe) for key, probe in entries if isinstance(probe, HeartbeatProbe)]


def check_ratio(probe: HeartbeatProbe, stats: WindowStats | None) -> Failure | None:
    limit = probe.max_signature_failure_ratio
    if limit is None or stats is None or not stats.signature_failures:
        return None
    if stats.failure_ratio <= limit:
        return None
    total = stats.deliveries + stats.signature_failures
    return Failure(Category.AUTH, "signature_failures",
                   f"{stats.signature_failures} of {total} deliveries in the last "
                   f"{format_duration(stats.seconds)} failed their signature "
                   f"({stats.failure_ratio:.0%}, over {limit:.0%})")


def check(probe: HeartbeatProbe, last: LastBeat | None) -> Failure | None:
    allowed = probe.allowed_age
    if last is None or last.age_s <= allowed:
        return None
    grace = allowed - probe.period
    window = (f"expected every {format_duration(probe.period)} "
              f"+ {format_duration(grace)} grace")
    when = last.at.strftime("%Y-%m-%d %H:%M:%SZ")
    if last.received:
        message = f"last heartbeat {format_duration(last.age_s)} ago (at {when}); {window}"
    else:
        message = (f"no heartbeat since seamwatch started watching "
                   f"{format_duration(last.age_s)} ago (at {when}); {window}")
    return Failure(Category.TIMEOUT, "heartbeat_missed", message)


async def attempt(rt: IntegrationRuntime, probe: HeartbeatProbe, into: Attempt) -> Attempt:
    step = StepResult(STEP, StepStatus.FAILED, latency_ms=0.0)
    attempt = Attempt(steps=[step])
    registry = rt.heartbeats
    if registry is None:
        failure: Failure | None = Failure(
            Category.CONFIG, "no_listener",
            "heartbeats are received by `seamwatch serve` (runner.listen); "
            "this process cannot check them",
        )
    else:
        key = f"{rt.spec.name}/{probe.name}"
        registry.ensure(key, probe)
        stats = registry.window(key, probe.window_s)
        failure = check(probe, registry.last(key)) or check_ratio(probe, stats)
        if stats is not None and (stats.deliveries or stats.signature_failures):
            step.note = stats.summary()
    return attempt.conclude(failure)


def check_config(probe: Mapping[str, Any], context: CheckContext) -> list[tuple[KeyPath, str]]:
    """An enabled heartbeat probe needs the listener that receives its heartbeats."""
    if context.listener_enabled or probe.get("enabled") is False:
        return []
    return [(("type",), "heartbeat probes need the listener that receives them; set "
                        "`runner.listen` (for example 127.0.0.1:9465) instead of null")]


KIND = ProbeKind("heartbeat", HeartbeatProbe, attempt, check=check_config)
