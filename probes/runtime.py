"""Per-integration state that lives as long as the integration's config: one HTTP client (one SSL
context, pooled connections), the credential provider and the redactor; and the process's
heartbeat registry (None where no listener receives heartbeats, e.g. `seamwatch once`).

Built by the application (its runtime pool) and handed to every attempt of every probe kind,
so it sits below the kinds: it knows the integration's config only as `IntegrationInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from core.redact import Redactor
from probes.credentials import CredentialProvider
from probes.drift.tracker import DriftTracker
from probes.heartbeats import HeartbeatRegistry
from probes.quota import QuotaTracker
from probes.webhooks.inbox import WebhookInbox

if TYPE_CHECKING:  # annotations only: loading the config must not import httpx
    import httpx


class OpenApiInfo(Protocol):
    """The integration's `openapi:` block (probes/http/openapi/spec.py)."""

    @property
    def spec(self) -> str: ...


class IntegrationInfo(Protocol):
    """What a run reads of its integration's config (an IntegrationSpec, probes/spec.py)."""

    @property
    def name(self) -> str: ...

    @property
    def base_url(self) -> str | None: ...

    @property
    def openapi(self) -> OpenApiInfo | None: ...


@dataclass
class IntegrationRuntime:
    spec: IntegrationInfo
    client: httpx.AsyncClient
    credentials: CredentialProvider | None
    redactor: Redactor
    base_dir: Path  # the config file's folder: schema files and ca_file are relative to it
    heartbeats: HeartbeatRegistry | None = None  # shared by all integrations of a `serve`
    quota: QuotaTracker = field(default_factory=QuotaTracker)  # rate-limit samples, for forecasts
    drift: DriftTracker | None = None  # learned response shapes, shared by all integrations
    webhooks: WebhookInbox | None = None  # likewise: the listener's /webhook/ receiver

    async def aclose(self) -> None:
        await self.client.aclose()
