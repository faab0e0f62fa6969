"""Per-integration state that lives as long as the integration's config: one HTTP client (one SSL
context, pooled connections), the credential provider and the redactor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from probes.auth.base import CredentialProvider
from probes.redact import Redactor
from probes.spec import IntegrationSpec


@dataclass
class IntegrationRuntime:
    spec: IntegrationSpec
    client: httpx.AsyncClient
    credentials: CredentialProvider | None
    redactor: Redactor
    base_dir: Path  # the config file's folder: schema files and ca_file are relative to it

    async def aclose(self) -> None:
        await self.client.aclose()
