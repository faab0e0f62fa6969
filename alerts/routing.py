"""`channels:` and `routes:`: which channels get which notice (docs/alerts.md, "Channels and
routes").

Routes are tried in order, as Alertmanager's are: the first route whose `match` fits the notice
gets it, and the search stops there unless that route says `continue: true`. Every `match` key
that is set must fit (integration name, any of the integration's tags, the notice kind); a route
without `match` fits everything, so a last `{channels: [...]}` is the default. Without `routes:`
every channel gets every notice. The old `email:` block is the channel `email` with no routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import Field, field_validator

from alerts.channels.email import EmailChannel
from alerts.channels.registry import AnyChannel
from alerts.kinds import routable_kinds
from alerts.spec import EmailSpec, NotifySpec
from core.model import StrictModel

LEGACY_CHANNEL = "email"  # the name of the channel the old `email:` block describes


class RouteMatch(StrictModel):
    integrations: list[str] | None = Field(None, description="integration names")
    tags: list[str] | None = Field(None, description="any of these integration tags")
    kinds: list[str] | None = Field(None, description="notice kinds: " + ", ".join(
        routable_kinds()))

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str] | None) -> list[str] | None:
        known = routable_kinds()
        for kind in kinds or ():
            if kind not in known:
                raise ValueError(f"unknown notice kind `{kind}` (expected one of "
                                 f"{', '.join(known)})")
        return kinds

    def fits(self, integration: str, tags: Iterable[str], kind: str) -> bool:
        return (
            (self.integrations is None or integration in self.integrations)
            and (self.tags is None or not set(self.tags).isdisjoint(tags))
            and (self.kinds is None or kind in self.kinds)
        )


class RouteSpec(StrictModel):
    match: RouteMatch = Field(default_factory=RouteMatch)
    channels: list[str] = Field(min_length=1)
    continue_: bool = Field(False, alias="continue",
                            description="also try the routes below when this one fits")


@dataclass(frozen=True)
class Alerting:
    """Where notices go: the shared settings, the named channels and the routes."""

    notify: NotifySpec = field(default_factory=NotifySpec)
    channels: Mapping[str, AnyChannel] = field(default_factory=dict)
    routes: Sequence[RouteSpec] = ()
    legacy: bool = False  # made from the old `email:` block

    def max_age_key(self, channel: str) -> str:
        """The config key that set `max_age(channel)`, for messages."""
        if self.legacy:
            return "email.max_age"
        spec = self.channels.get(channel)
        own = spec is not None and spec.max_age is not None
        return f"channels.{channel}.max_age" if own else "notifications.max_age"

    @classmethod
    def from_email(cls, email: EmailSpec | None) -> Alerting:
        """The old single-channel form."""
        if email is None:
            return cls()
        return cls(NotifySpec.from_email(email), {LEGACY_CHANNEL: EmailChannel.from_email(email)},
                   legacy=True)

    def route(self, integration: str, tags: Iterable[str], kind: str) -> list[str]:
        """The channels a notice goes to, in route order, each once."""
        if not self.routes:
            return list(self.channels)
        tags = tuple(tags)
        chosen: dict[str, None] = {}
        for route in self.routes:
            if not route.match.fits(integration, tags, kind):
                continue
            chosen.update(dict.fromkeys(c for c in route.channels if c in self.channels))
            if not route.continue_:
                break
        return list(chosen)

    def group_wait(self, channel: str) -> float:
        spec = self.channels.get(channel)
        wait = spec.group_wait if spec is not None else None
        return self.notify.group_wait if wait is None else wait

    def max_age(self, channel: str) -> float:
        spec = self.channels.get(channel)
        age = spec.max_age if spec is not None else None
        return self.notify.max_age if age is None else age
