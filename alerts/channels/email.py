"""The email channel: notices grouped per recipient set into one email (text + HTML), sent over
SMTP (`alerts/smtp.py`). The old top-level `email:` block is one channel of this type, named
`email`."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import parseaddr
from types import TracebackType
from typing import Literal

from pydantic import Field

from alerts.burn import BURN_KINDS
from alerts.burn_render import render_burn_group
from alerts.channels.base import ChannelKind, ChannelSpec, Notice, Outgoing, RenderContext
from alerts.message import build_email, new_message_id
from alerts.render import render_group
from alerts.repo import OutboxRow
from alerts.smtp import SmtpSession
from alerts.spec import EmailSpec, SmtpSpec
from core.redact import Redactor


class EmailChannel(ChannelSpec):
    type: Literal["email"]
    smtp: SmtpSpec
    from_: str = Field(alias="from")
    to: list[str] = Field(
        default_factory=list, description="every notice's recipients, plus each probe's alerts.to")

    @classmethod
    def from_email(cls, email: EmailSpec) -> EmailChannel:
        """The channel the old `email:` block describes."""
        return cls.model_construct(
            type="email", smtp=email.smtp, from_=email.from_, to=list(email.to),
            group_wait=email.group_wait, max_age=email.max_age,
        )


def render(
    spec: EmailChannel, kind: str, notices: Sequence[Notice], ctx: RenderContext
) -> Outgoing:
    renderer = render_burn_group if kind in BURN_KINDS else render_group
    rendered = renderer(
        kind, [n.payload for n in notices], others=ctx.others, dashboard_url=ctx.dashboard_url,
        flap_window_s=ctx.flap_window_s, redactor=ctx.redactor,
    )
    return Outgoing(rendered.subject, rendered.text, rendered.html, new_message_id(spec.from_))


class EmailSender:
    """One SMTP connection for a delivery pass; each row as one message with the same
    Message-ID on every attempt and an `X-Seamwatch-Attempt` header."""

    def __init__(self, spec: EmailChannel, redactor: Redactor) -> None:
        self.spec = spec
        self._session = SmtpSession(spec.smtp, redactor)

    async def __aenter__(self) -> EmailSender:
        await self._session.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.__aexit__(exc_type, exc, tb)

    async def send(self, row: OutboxRow) -> None:
        message = build_email(
            from_=self.spec.from_, to=row.recipients, subject=row.subject, text=row.text_body,
            html=row.html_body, message_id=row.message_id, date=row.created_at,
            headers={"X-Seamwatch-Kind": row.kind, "X-Seamwatch-Attempt": str(row.attempts)},
        )
        await self._session.send(message, [parseaddr(r)[1] or r for r in row.recipients])


def describe(spec: EmailChannel) -> str:
    return f"email via {spec.smtp.host}:{spec.smtp.port}"


KIND = ChannelKind("email", EmailChannel, render, EmailSender, describe)
