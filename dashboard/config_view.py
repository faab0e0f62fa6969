"""The loaded config as the Configuration page shows it: every secret masked, and the schedule.

Masking is belt and braces: pydantic dumps `SecretStr` fields as `**********`, then every string
left is passed through a `Redactor` holding the config's secret set (credentials, credential-like
headers, every value a `${…}` reference inserted, passwords in URLs: see
seamwatch/config/resolve.py), and the storage URL's password is hidden.
"""

from __future__ import annotations

from typing import Any

from core.redact import Redactor
from core.types import format_duration
from seamwatch.config import Config
from storage.database import redact_url

MASK = "***"


def _scrub(node: Any, redactor: Redactor) -> Any:
    if isinstance(node, dict):
        return {k: _scrub(v, redactor) for k, v in node.items()}
    if isinstance(node, list):
        return [_scrub(v, redactor) for v in node]
    if isinstance(node, str):
        if node == "**********":
            return MASK
        return redactor.redact(node) or node
    return node


def masked_config(config: Config, redactor: Redactor | None = None) -> dict[str, Any]:
    """A JSON-able view of the config with no secret in it."""
    red = redactor or Redactor(config.secrets)
    storage = config.storage.model_dump(mode="json")
    storage["url"] = redact_url(config.storage_url)
    data: dict[str, Any] = {
        "storage": storage,
        "runner": config.runner.model_dump(mode="json", exclude_none=True),
        "defaults": config.defaults.model_dump(mode="json", exclude_none=True),
        "email": (config.email.model_dump(mode="json", by_alias=True, exclude_none=True)
                  if config.email else None),
        "notifications": (config.alerting.notify.model_dump(mode="json")
                          if config.email is None and config.alerting.channels else None),
        "channels": ({name: spec.model_dump(mode="json", by_alias=True, exclude_none=True)
                      for name, spec in config.alerting.channels.items()}
                     if config.email is None else None),
        "routes": ([r.model_dump(mode="json", by_alias=True, exclude_none=True)
                    for r in config.alerting.routes] if config.email is None else None),
        "maintenance": [m.model_dump(mode="json", exclude_none=True)
                        for m in config.maintenance],
        "integrations": [i.model_dump(mode="json", exclude_none=True)
                         for i in config.integrations],
    }
    return {k: v for k, v in _scrub(data, red).items() if v not in (None, [], {})}


def schedule_rows(config: Config) -> list[dict[str, Any]]:
    """One row per scheduled probe, with its resolved interval, timeout, retries and alerting."""
    rows = []
    for entry in config.entries:
        probe = entry.probe
        alerts = probe.alerts
        rows.append({
            "integration": entry.integration.name,
            "probe": probe.name,
            "type": probe.type,
            "every": format_duration(probe.interval),
            "timeout": format_duration(probe.timeout),
            "retries": probe.retries,
            "fails before firing": alerts.failure_threshold,
            "good runs to resolve": alerts.recovery_threshold,
            "degraded over": (format_duration(alerts.degraded_latency)
                              if alerts.degraded_latency else ""),
        })
    return rows
