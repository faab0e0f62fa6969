"""How a `webhook` probe waits for its delivery: the interface the shell's receiver provides
(seamwatch/webhooks.py, fed by the listener's `POST /webhook/<integration>/<probe>`), declared
here because probes sit below the shell (docs/architecture.md, Layers).

A probe subscribes BEFORE it triggers anything, so a webhook that beats the trigger's response is
not missed, then reads the deliveries that arrive at its endpoint until one matches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from probes.webhooks.signatures import Verdict
from probes.webhooks.spec import SignatureSpec

NOT_JSON = object()  # Delivery.doc of a body that is not JSON


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request that arrived at a webhook endpoint, verified (or not) on receipt."""

    received_mono: float  # time.monotonic() when it arrived
    received_wall: float  # unix seconds
    body: bytes
    doc: Any  # the parsed JSON body, or NOT_JSON
    delivery_id: str | None
    verdict: Verdict
    duplicate: bool  # its delivery id arrived before at this endpoint


class Subscription(Protocol):
    async def next(self, timeout: float) -> Delivery | None:
        """The next delivery to the endpoint, or None when `timeout` seconds pass first."""
        ...

    def close(self) -> None: ...


class WebhookInbox(Protocol):
    def subscribe(self, key: str, signature: SignatureSpec | None) -> Subscription:
        """Start receiving the deliveries to `integration/probe` (verified under `signature`,
        accepted unsigned when None)."""
        ...

    def last_seen(self, key: str) -> float | None:
        """Unix seconds of the last authentic delivery to the endpoint, across restarts."""
        ...
