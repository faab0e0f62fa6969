"""The runtime pool: one IntegrationRuntime per integration (client, credentials, redactor), built
from the loaded config; on reload only the integrations whose config changed are rebuilt."""

from __future__ import annotations

import logging

from core.redact import Redactor
from probes.auth.build import build_provider
from probes.drift.tracker import DriftTracker
from probes.heartbeats import HeartbeatRegistry
from probes.http.client import build_client
from probes.kinds.heartbeat import heartbeat_probes
from probes.runtime import IntegrationRuntime
from probes.spec import IntegrationSpec
from seamwatch.config import Config
from seamwatch.webhooks import WebhookReceiver, webhook_endpoints

log = logging.getLogger(__name__)


def _integration_timeout(config: Config, name: str) -> float:
    timeouts = [e.probe.timeout for e in config.entries if e.integration.name == name]
    return max(timeouts, default=10.0)


def build_runtime(config: Config, integration: IntegrationSpec, redactor: Redactor,
                  heartbeats: HeartbeatRegistry | None = None,
                  drift: DriftTracker | None = None,
                  webhooks: WebhookReceiver | None = None) -> IntegrationRuntime:
    state_dir = config.base_dir / config.runner.state_dir
    return IntegrationRuntime(
        spec=integration,
        client=build_client(
            integration,
            config.base_dir,
            max_connections=config.runner.concurrency,
            timeout_s=_integration_timeout(config, integration.name),
            redactor=redactor,
        ),
        credentials=build_provider(
            integration.auth, integration=integration.name, redactor=redactor,
            state_dir=state_dir,
        ),
        redactor=redactor,
        base_dir=config.base_dir,
        heartbeats=heartbeats,
        drift=drift,
        webhooks=webhooks,
    )


class RuntimePool:
    """The integration runtimes of the running config (and, in `serve`, the heartbeat registry
    they share, kept in step with the config's heartbeat and webhook probes, and the drift book
    of learned response shapes)."""

    def __init__(self, redactor: Redactor, heartbeats: HeartbeatRegistry | None = None,
                 drift: DriftTracker | None = None,
                 webhooks: WebhookReceiver | None = None) -> None:
        self.redactor = redactor
        self.heartbeats = heartbeats
        self.drift = drift
        self.webhooks = webhooks
        self._runtimes: dict[str, IntegrationRuntime] = {}

    def __getitem__(self, integration: str) -> IntegrationRuntime:
        return self._runtimes[integration]

    async def apply(self, config: Config) -> None:
        """Make the pool match `config`: keep unchanged integrations (their warm connections and
        cached credentials), rebuild changed ones, close removed ones."""
        for secret in config.secrets:
            self.redactor.add(secret)
        if self.heartbeats is not None:
            self.heartbeats.configure(heartbeat_probes((e.key, e.probe) for e in config.entries))
        if self.webhooks is not None:
            self.webhooks.configure(webhook_endpoints((e.key, e.probe) for e in config.entries))
        wanted = {i.name: i for i in config.integrations}
        stale: list[IntegrationRuntime] = []
        for name, runtime in list(self._runtimes.items()):
            if name not in wanted or runtime.spec != wanted[name] \
                    or runtime.base_dir != config.base_dir:
                stale.append(self._runtimes.pop(name))
        for name, spec in wanted.items():
            if name not in self._runtimes:
                self._runtimes[name] = build_runtime(config, spec, self.redactor, self.heartbeats,
                                                     self.drift, self.webhooks)
        for runtime in stale:
            await runtime.aclose()

    async def aclose(self) -> None:
        for runtime in self._runtimes.values():
            await runtime.aclose()
        self._runtimes.clear()
