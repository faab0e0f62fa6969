"""`seamwatch test-channel NAME`: send one test notice through a configured channel, the way
`serve` would (same renderer, same sender), and say in one line what happened."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from alerts.channels.base import Notice, RenderContext
from alerts.channels.registry import channel_kind
from alerts.delivery import DeliveryError
from alerts.repo import OutboxRow
from alerts.routing import Alerting
from core.redact import Redactor

__all__ = ["DeliveryError", "send_test_notice"]


async def send_test_notice(alerting: Alerting, name: str, redactor: Redactor) -> str:
    """Send a `test` notice to channel `name` (which must exist); return a one-line report.
    Raises DeliveryError with a one-line, redacted reason."""
    spec = alerting.channels[name]
    kind = channel_kind(spec.type)
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        "integration": "seamwatch", "probe": "test-channel", "kind": "test",
        "at": now.isoformat(), "category": None, "reason": None,
        "message": f"test notice for channel {name}", "incident_start": None, "recent": [],
        "flaps": 0, "after_maintenance": None,
    }
    recipients = list(spec.to) if spec.type == "email" else []
    if spec.type == "email" and not recipients:
        raise DeliveryError(f"channel {name} has no `to:` recipients to send a test email to")
    ctx = RenderContext(alerting.notify.dashboard_url, 0.0, redactor)
    out = kind.render(spec, "test", [Notice(f"test-{uuid.uuid4().hex}", payload)], ctx)
    row = OutboxRow(0, out.message_id, "test", recipients, out.subject, out.text, out.html,
                    "sending", 1, now, name)
    async with kind.sender(spec, redactor) as sender:
        await sender.send(row)
    line = f"sent a test notice to channel {name} ({kind.describe(spec)})"
    return redactor.redact(line) or line
