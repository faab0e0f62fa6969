"""The Apprise channel: chat and paging services (Slack, Teams, Discord, Telegram, Mattermost,
ntfy, PagerDuty, Opsgenie, ... 100+) through the `apprise` library, one URL per service.

Notices are grouped like emails and rendered as Markdown (default) or plain text; Apprise turns
that into each service's format and splits or cuts it to the service's limits. Every Apprise URL
is a secret (tokens live in its host, path and query): the whole URL and each of its parts are
added to the redactor, and a URL is only ever shown as its scheme (`describe`). Apprise runs
synchronously (requests), so a send runs on a worker thread. With several URLs a failure of one
retries the row for all (at-least-once), so one URL per channel keeps retries to that service.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field, field_validator

from alerts.channels.base import ChannelKind, ChannelSpec, Notice, Outgoing, RenderContext
from alerts.delivery import DeliveryError
from alerts.message import new_message_id
from alerts.render import render_message
from alerts.repo import OutboxRow
from core.redact import Redactor
from core.types import Secret


class AppriseChannel(ChannelSpec):
    type: Literal["apprise"]
    urls: list[Secret] = Field(min_length=1, description="Apprise URLs, e.g. slack://…, ntfy://…")
    format: Literal["markdown", "text"] = "markdown"

    @field_validator("urls")
    @classmethod
    def _known_services(cls, urls: list[Secret]) -> list[Secret]:
        for index, url in enumerate(urls):
            problem = url_problem(url.get_secret_value())
            if problem:
                raise ValueError(f"urls[{index}]: {problem}")
        return urls


def scheme(url: str) -> str:
    return url.partition("://")[0].lower() if "://" in url else "?"


def url_problem(url: str) -> str | None:
    """Why Apprise cannot use `url` (naming only its scheme), or None."""
    if "://" not in url:
        return "not an Apprise URL (expected service://…, e.g. slack://… or ntfy://…)"
    import apprise  # deferred: a large package, only needed when the config has this channel

    if apprise.Apprise.instantiate(url, asset=_asset()) is None:
        return (f"Apprise does not accept this {scheme(url)}:// URL (unknown service or a "
                "missing or malformed token)")
    return None


def url_secrets(url: str) -> Iterable[str]:
    """The URL, and each part of it that may carry a token: userinfo, host (unless an IP
    address or localhost), path segments, query values."""
    yield url
    rest = url.partition("://")[2]
    yield rest
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return
    yield from (unquote(p) for p in (parts.username, parts.password) if p)
    if host and host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            yield host
    yield from (unquote(seg) for seg in parts.path.split("/") if seg)
    yield from (value for _, value in parse_qsl(parts.query) if value)
    if parts.fragment:
        yield parts.fragment


def secrets(spec: AppriseChannel) -> Iterable[str]:
    for url in spec.urls:
        yield from url_secrets(url.get_secret_value())


def render(
    spec: AppriseChannel, kind: str, notices: Sequence[Notice], ctx: RenderContext
) -> Outgoing:
    title, text = render_message(
        kind, [n.payload for n in notices], markdown=spec.format == "markdown",
        others=ctx.others, dashboard_url=ctx.dashboard_url, flap_window_s=ctx.flap_window_s,
        redactor=ctx.redactor,
    )
    return Outgoing(title, text, "", new_message_id("seamwatch@apprise.invalid"))


def _asset() -> Any:
    import apprise

    # memory only: no persistent store written under the user's home
    return apprise.AppriseAsset(storage_mode="memory")


class AppriseSender:
    def __init__(self, spec: AppriseChannel, redactor: Redactor) -> None:
        self.spec = spec
        self.redactor = redactor
        # Apprise logs each request's URL and payload (tokens included); its lines are captured
        # per send and reported, redacted, as the row's error, never passed to the process log.
        logging.getLogger("apprise").propagate = False

    async def __aenter__(self) -> AppriseSender:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def _notify(self, row: OutboxRow) -> str | None:
        """Send `row` to every URL; the redacted reason when one failed, else None."""
        import apprise

        client = apprise.Apprise(asset=_asset())
        for url in self.spec.urls:
            client.add(url.get_secret_value())
        body_format = (apprise.NotifyFormat.MARKDOWN if self.spec.format == "markdown"
                       else apprise.NotifyFormat.TEXT)
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
            ok = client.notify(body=row.text_body, title=row.subject, body_format=body_format)
            logged = captured.getvalue()
        if ok:
            return None
        lines = [" ".join(line.split()) for line in logged.splitlines() if line.strip()]
        where = ", ".join(f"{scheme(u.get_secret_value())}://" for u in self.spec.urls)
        text = "; ".join(lines[-3:]) or "the service did not accept the notification"
        return self.redactor.redact_and_cut(f"apprise ({where}): {text}", 500)

    async def send(self, row: OutboxRow) -> None:
        problem = await asyncio.to_thread(self._notify, row)
        if problem is not None:
            raise DeliveryError(problem)


def describe(spec: AppriseChannel) -> str:
    return "apprise to " + ", ".join(f"{scheme(u.get_secret_value())}://…" for u in spec.urls)


KIND = ChannelKind("apprise", AppriseChannel, render, AppriseSender, describe, secrets=secrets)
