"""The `webhook` probe kind: a round trip through the provider. HTTP `steps` trigger something
(create a test-mode payment, `save` its id), then the run waits up to `within` for the provider's
webhook at the `serve` listener's `POST /webhook/<integration>/<probe>`, verified under
`signature:` and picked out by `match:`. The waiting is probes/roundtrip.py, through the
inbox the shell provides (probes/webhooks/inbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from core.model import StrictModel, first_duplicate
from core.types import ByteSize, Duration
from probes.http.spec import Matcher, Step
from probes.kinds.base import CheckContext, KeyPath, ProbeCommon, ProbeKind
from probes.result import Attempt
from probes.webhooks.spec import WAIT_STEP, SignatureSpec

if TYPE_CHECKING:
    from probes.runtime import IntegrationRuntime

DEFAULT_WITHIN = 60.0
DEADLINE_MARGIN_S = 30.0  # the default timeout: `within` plus this for the trigger steps


class WebhookExpect(StrictModel):
    """What the matched delivery's body must hold (`assertion`/`schema` failures)."""

    json_: dict[str, Matcher] = Field(default_factory=dict, alias="json")
    body_contains: str | list[str] | None = None


class WebhookProbe(ProbeCommon):
    """A webhook round trip: `steps` trigger an event at the provider, then the run waits
    `within` for its webhook at the listener's /webhook/<integration>/<probe>, the delivery
    chosen by `match` (JSONPath -> value or matcher, templates from `save:`)."""

    type: Literal["webhook"]
    steps: list[Step] = Field(min_length=1, description="the trigger: HTTP steps as in `http`")
    max_body: ByteSize = Field(1024 * 1024, description="bytes of a response body read at most")
    follow_redirects: bool = True
    signature: SignatureSpec | None = Field(
        None, description="how the provider signs deliveries; unsigned ones are accepted when "
                          "absent")
    match: dict[str, str | int | float | bool | Matcher] = Field(
        default_factory=dict, description="JSONPath -> value (or matcher) picking this run's "
                                          "delivery; empty: the first authentic one")
    within: Duration = Field(DEFAULT_WITHIN, gt=0, description="how long the webhook may take, "
                                                               "from the last trigger step")
    settle: Duration = Field(0.0, ge=0, description="keep listening this long after the match "
                                                     "to count duplicate deliveries")
    expect: WebhookExpect = Field(default_factory=WebhookExpect)

    @model_validator(mode="after")
    def _shape(self) -> WebhookProbe:
        names = [step.name for step in self.steps]
        duplicate = first_duplicate([*names, WAIT_STEP])
        if duplicate is not None:
            raise ValueError(f"duplicate step name {duplicate!r} (`{WAIT_STEP}` is the waiting "
                             "step's)")
        if "timeout" in self.model_fields_set and self.timeout <= self.within + self.settle:
            raise ValueError("`timeout` (the whole run) must be longer than `within` + "
                             "`settle`")
        return self

    def kind_defaults(self) -> dict[str, Any]:
        # A retry would trigger a second event; the run must outlast its wait.
        return {"timeout": self.within + self.settle + DEADLINE_MARGIN_S, "retries": 0}


async def attempt(rt: IntegrationRuntime, probe: WebhookProbe, into: Attempt) -> Attempt:
    from probes.roundtrip import run_round_trip  # pulls in httpx and the exchange

    return await run_round_trip(rt, probe, into)


def hung_step(probe: WebhookProbe, cut_short: Attempt) -> str | None:
    from probes.kinds.http import hung_step as http_hung_step

    if any(step.name == WAIT_STEP for step in cut_short.steps):
        return WAIT_STEP
    return http_hung_step(probe, cut_short)  # type: ignore[arg-type]


def check_config(probe: Mapping[str, Any], context: CheckContext) -> list[tuple[KeyPath, str]]:
    """Like heartbeats, webhooks arrive at the listener."""
    if context.listener_enabled or probe.get("enabled") is False:
        return []
    return [(("type",), "webhook probes need the listener that receives their webhooks; set "
                        "`runner.listen` (for example 127.0.0.1:9465) instead of null")]


KIND = ProbeKind("webhook", WebhookProbe, attempt, check=check_config, hung_step=hung_step)
