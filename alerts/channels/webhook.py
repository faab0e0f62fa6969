"""The webhook channel: one signed JSON POST per notice (no grouping), for the user's own
automation. The body's schema is documented in docs/alerts.md ("Webhook body") and versioned by
its `version` field; it only ever gains fields within a version.

Signed with the Standard Webhooks scheme (the `standardwebhooks` package): `webhook-id` is the
notice's id, the same on every attempt, so a receiver can drop a retried duplicate;
`webhook-timestamp` and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of `id.timestamp.body`).
2xx is success; 410 Gone disables the channel; 408, 425, 429 and 5xx are retried (honouring
`Retry-After`), as are connection failures and timeouts; any other answer fails that notice.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator
from standardwebhooks.webhooks import Webhook

from alerts.channels.base import ChannelKind, ChannelSpec, Notice, Outgoing, RenderContext
from alerts.delivery import DeliveryError
from alerts.kinds import kind_info
from alerts.render import probe_link, subject_line
from alerts.repo import OutboxRow
from core.redact import Redactor
from core.types import Duration, Secret

BODY_VERSION = 1
RETRY_AFTER_CAP_S = 3600.0
_RETRIED = {408, 425, 429}
SECRET_HINT = (
    "expected a Standard Webhooks secret: `whsec_` followed by base64 of 24 to 64 random bytes "
    "(make one with: python -c \"import base64,os;print('whsec_'+base64.b64encode("
    "os.urandom(32)).decode())\")"
)


def secret_bytes(value: str) -> bytes:
    raw = value.removeprefix("whsec_")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(SECRET_HINT) from None
    if not 24 <= len(decoded) <= 64:
        raise ValueError(SECRET_HINT)
    return decoded


class WebhookChannel(ChannelSpec):
    type: Literal["webhook"]
    url: str = Field(description="http:// or https:// URL the notices are POSTed to")
    secret: Secret = Field(description="Standard Webhooks signing secret (whsec_...)")
    headers: dict[str, str] = Field(default_factory=dict, description="extra request headers")
    timeout: Duration = 10.0

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host")
        return value.strip()

    @field_validator("secret")
    @classmethod
    def _standard_secret(cls, value: Secret) -> Secret:
        secret_bytes(value.get_secret_value())
        return value


def _iso_z(iso: str | None) -> str | None:
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat().replace("+00:00", "Z")


def body(kind: str, notice_id: str, p: Mapping[str, Any], ctx: RenderContext) -> dict[str, Any]:
    """The documented JSON body of one notice (docs/alerts.md, "Webhook body")."""
    info = kind_info(kind)
    return {
        "version": BODY_VERSION,
        "id": notice_id,
        "kind": kind,
        "state": info.state,
        "integration": p["integration"],
        "probe": p["probe"],
        "category": p.get("category"),
        "reason": p.get("reason"),
        "message": p.get("message") if kind != "degraded" else p.get("degraded_reason"),
        "summary": subject_line(kind, p, ctx.redactor),
        "at": _iso_z(p.get("at")),
        "started_at": _iso_z(p.get("incident_start")),
        "resolved_at": _iso_z(p.get("at")) if kind == "resolved" else None,
        "dashboard_url": probe_link(ctx.dashboard_url, p["integration"], p["probe"]),
    }


def render(
    spec: WebhookChannel, kind: str, notices: Sequence[Notice], ctx: RenderContext
) -> Outgoing:
    (notice,) = notices  # not grouped: one row per notice
    notice_id = notice.id
    data = body(kind, notice_id, notice.payload, ctx)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = ctx.redactor.redact(text) or text
    return Outgoing(data["summary"], text, "", notice_id)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), RETRY_AFTER_CAP_S)


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


class WebhookSender:
    def __init__(self, spec: WebhookChannel, redactor: Redactor) -> None:
        self.spec = spec
        self.redactor = redactor
        self._signer = Webhook(secret_bytes(spec.secret.get_secret_value()))
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> WebhookSender:
        self._client = httpx.AsyncClient(timeout=self.spec.timeout, follow_redirects=False)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _error(self, message: str, **flags: Any) -> DeliveryError:
        return DeliveryError(self.redactor.redact(" ".join(message.split())) or message, **flags)

    def signed_headers(self, message_id: str, text: str, now: datetime) -> dict[str, str]:
        return {
            **self.spec.headers,
            "content-type": "application/json",
            "user-agent": "seamwatch",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._signer.sign(message_id, now, text),
        }

    async def send(self, row: OutboxRow) -> None:
        assert self._client is not None
        where = _where(self.spec.url)
        now = datetime.now(UTC)
        headers = self.signed_headers(row.message_id, row.text_body, now)
        try:
            response = await self._client.post(
                self.spec.url, content=row.text_body.encode(), headers=headers)
        except httpx.TimeoutException:
            raise self._error(
                f"timed out after {self.spec.timeout:g}s posting to {where}") from None
        except httpx.HTTPError as exc:
            raise self._error(f"cannot post to {where}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        answer = f"{where} answered {status} {response.reason_phrase}"
        if status == 410:
            raise self._error(f"{answer}: the receiver is gone, so the channel is disabled",
                              gone=True)
        if status in _RETRIED or status >= 500:
            wait = retry_after(response.headers.get("retry-after"), now)
            suffix = f" (Retry-After {wait:g}s)" if wait is not None else ""
            raise self._error(answer + suffix, retry_after=wait)
        raise self._error(answer, permanent=True)


def describe(spec: WebhookChannel) -> str:
    return f"webhook to {_where(spec.url)}"


KIND = ChannelKind("webhook", WebhookChannel, render, WebhookSender, describe, grouped=False)
