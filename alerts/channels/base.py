"""The one small interface every channel type implements (docs/architecture.md, "An alert
channel"): a config model, a renderer (a group of owed notices -> the content of one outbox
row) and a sender (outbox rows -> the wire), bundled as a `ChannelKind` in `registry.py`.

Every channel shares the outbox: the service hands a sender the due rows of its channel in
order, inside `async with`, and the sender raises `alerts.delivery.DeliveryError` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from pydantic import Field

from alerts.repo import OutboxRow
from core.model import StrictModel
from core.redact import Redactor
from core.types import Duration


class ChannelSpec(StrictModel):
    """Keys every channel takes besides its `type` and its own settings."""

    group_wait: Duration | None = Field(
        None, description="batch notices that start together (default: notifications.group_wait)")
    max_age: Duration | None = Field(
        None, description="give up delivering a notice after this (default: notifications.max_age)")


@dataclass(frozen=True, slots=True)
class Notice:
    """One owed notice as a renderer sees it: its stable id (`notice-<alert_notices.id>`, the
    webhook-id) and its payload."""

    id: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RenderContext:
    dashboard_url: str
    flap_window_s: float
    redactor: Redactor
    # integration -> [(probe, state)], for "other probes of this integration"
    others: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one outbox row carries: already redacted."""

    subject: str
    text: str
    html: str
    message_id: str  # stable across attempts: Message-ID, webhook-id


class Sender(Protocol):
    async def __aenter__(self) -> Sender: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def send(self, row: OutboxRow) -> None: ...


def no_secrets(spec: Any) -> Iterable[str]:
    return ()


@dataclass(frozen=True, slots=True)
class ChannelKind:
    """One channel type. `grouped`: notices of one kind that start within `group_wait` share a
    row (False: one row per notice, delivered at once). `secrets`: values to redact everywhere
    beyond the model's `Secret` fields. `describe`: where it sends, in a few words, no secret."""

    name: str  # the `type:` a channel of this kind has in the config
    model: type[ChannelSpec]
    render: Callable[[Any, str, Sequence[Notice], RenderContext], Outgoing]
    sender: Callable[[Any, Redactor], Sender]
    describe: Callable[[Any], str]
    grouped: bool = True
    secrets: Callable[[Any], Iterable[str]] = no_secrets
