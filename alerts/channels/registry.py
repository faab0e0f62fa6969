"""Every channel type, once (docs/architecture.md, "An alert channel"): the `channels:` union
of the config file and the lookup from a channel's `type` to its renderer and sender. A new
type adds its module and one entry to `KINDS` and to `AnyChannel`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from alerts.channels import apprise, email, webhook
from alerts.channels.base import ChannelKind

KINDS: dict[str, ChannelKind] = {k.name: k for k in (email.KIND, webhook.KIND, apprise.KIND)}

AnyChannel = Annotated[
    email.EmailChannel | webhook.WebhookChannel | apprise.AppriseChannel,
    Field(discriminator="type"),
]


def channel_kind(type_: str) -> ChannelKind:
    return KINDS[type_]
