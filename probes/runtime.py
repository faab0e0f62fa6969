"""Per-integration state that lives as long as the integration's config: one HTTP client (one SSL
context, pooled connections), the credential provider and the redactor; and the process's
heartbeat registry (None where no listener receives heartbeats, e.g. `seamwatch once`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from core.redact import Redactor
from probes.auth.base import CredentialProvider
from probes.spec import IntegrationSpec

if TYPE_CHECKING:
    from probes.heartbeat import HeartbeatRegistry


@dataclass
class IntegrationRuntime:
    spec: IntegrationSpec
    client: httpx.AsyncClient
    credentials: CredentialProvider | None
    redactor: Redactor
    base_dir: Path  # the config file's folder: schema files and ca_file are relative to it
    heartbeats: HeartbeatRegistry | None = None  # shared by all integrations of a `serve`

    async def aclose(self) -> None:
        await self.client.aclose()
