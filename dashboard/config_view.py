"""The loaded config as the Configuration page shows it: every secret masked, durations and
sizes as a user writes them (`30d`, `30s`, `1MiB`, not 2592000, 30.0, 1048576), and the schedule.

Masking is belt and braces: pydantic dumps `SecretStr` fields as `**********`, then every string
left is passed through a `Redactor` holding the config's secret set (credentials, credential-like
headers, every value a `${…}` reference inserted, passwords in URLs: see
seamwatch/config/resolve.py), and the storage URL's password is hidden.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator

from core.redact import Redactor
from core.types import format_byte_size, format_duration, parse_byte_size, parse_duration
from seamwatch.config import Config
from storage.database import redact_url

MASK = "***"
# A field validated by one of these holds a value the config writes with a unit.
_AS_WRITTEN: dict[Callable[..., Any], Callable[[Any], str]] = {
    parse_duration: format_duration, parse_byte_size: format_byte_size,
}


def _formatter(tp: Any, metadata: tuple[Any, ...] | list[Any] = ()) -> Callable[[Any], str] | None:
    """How to show a field of type `tp` as written (a Duration or ByteSize, also inside
    Annotated or Optional), None for any other type."""
    for meta in metadata:
        if isinstance(meta, BeforeValidator) and meta.func in _AS_WRITTEN:
            return _AS_WRITTEN[meta.func]
    if get_origin(tp) is Annotated:
        args = get_args(tp)
        return _formatter(args[0], args[1:])
    if get_origin(tp) in (Union, types.UnionType):
        for arg in get_args(tp):
            found = _formatter(arg)
            if found is not None:
                return found
    return None


def _as_written(model: BaseModel, dumped: Any) -> Any:
    """Replace, in `dumped` (the model's JSON dump), every duration and size by its text."""
    if not isinstance(dumped, dict):
        return dumped
    for name, info in type(model).model_fields.items():
        key = name if name in dumped else info.alias
        value = getattr(model, name, None)
        if key not in dumped or value is None:
            continue
        fmt = _formatter(info.annotation, info.metadata)
        if fmt is not None and isinstance(value, (int, float)):
            dumped[key] = fmt(value)
        elif isinstance(value, BaseModel):
            _as_written(value, dumped[key])
        elif isinstance(value, (list, tuple)) and isinstance(dumped[key], list):
            for item, out in zip(value, dumped[key], strict=False):
                if isinstance(item, BaseModel):
                    _as_written(item, out)
        elif isinstance(value, dict) and isinstance(dumped[key], dict):
            for k, item in value.items():
                if isinstance(item, BaseModel) and k in dumped[key]:
                    _as_written(item, dumped[key][k])
    return dumped


def _dump(model: BaseModel) -> Any:
    """The model as a user writes it: keys as in the file (`from`, `json`), units as above."""
    return _as_written(model, model.model_dump(mode="json", by_alias=True, exclude_none=True))


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
    storage = _dump(config.storage)
    storage["url"] = redact_url(config.storage_url)
    data: dict[str, Any] = {
        "storage": storage,
        "runner": _dump(config.runner),
        "defaults": _dump(config.defaults),
        "email": _dump(config.email) if config.email else None,
        "notifications": (_dump(config.alerting.notify)
                          if config.email is None and config.alerting.channels else None),
        "channels": ({name: _dump(spec) for name, spec in config.alerting.channels.items()}
                     if config.email is None else None),
        "routes": ([_dump(r) for r in config.alerting.routes] if config.email is None else None),
        "maintenance": [_dump(m) for m in config.maintenance],
        "integrations": [_dump(i) for i in config.integrations],
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
