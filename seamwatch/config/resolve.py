"""From the validated file to what the rest of seamwatch runs: one ProbeEntry per enabled probe with
its inherited settings resolved, the synthetic `auth` probes, the absolute storage URL and the set
of secret values to redact."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr

from core.policy import AlertPolicy
from core.redact import is_secret_header
from probes.drift.spec import DriftPolicy
from probes.kinds.auth import AuthProbe
from probes.run import RunPolicy
from probes.spec import AnyProbe, IntegrationSpec, ProbeDefaults
from seamwatch.config.env import Span
from seamwatch.config.errors import DataPath

_INHERITED = ("interval", "timeout", "retries", "max_body", "locations")
_SECRET_KEY = re.compile(r"(password|passwd|secret|token|api[-_]?key|credential)", re.IGNORECASE)
_SQLITE = re.compile(r"^(?P<dialect>sqlite[^:]*):///(?P<path>[^?]*)(?P<query>\?.*)?$")
_URL_HEAD = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)")
# Keys whose value names a place (not a secret even when it comes from `${…}`); so do `*_dir`
# and `*_file` keys.
_ADDRESS_KEYS = frozenset({"host", "port", "listen", "resolver"})
_MISSING: Any = object()
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ProbeEntry:
    """One scheduled probe: its integration, the probe with every inherited value resolved, and
    the policy its runs follow."""

    integration: IntegrationSpec
    probe: AnyProbe
    policy: RunPolicy

    @property
    def key(self) -> str:
        return f"{self.integration.name}/{self.probe.name}"

    def runs_at(self, location: str) -> bool:
        """Whether runners of `location` run this probe (its `locations:`, or everywhere)."""
        return self.probe.locations is None or location in self.probe.locations


def merge_levels(model: type[M], *levels: M) -> M:
    """Later levels override earlier ones, key by key, for the keys each level sets."""
    values: dict[str, Any] = {}
    for level in levels:
        values.update({key: getattr(level, key) for key in level.model_fields_set})
    return model.model_construct(_fields_set=set(values), **values)


def merge_alerts(*levels: AlertPolicy) -> AlertPolicy:
    return merge_levels(AlertPolicy, *levels)


def _inherited(
    key: str, probe: BaseModel | None, levels: tuple[BaseModel, ...], builtin: Any
) -> Any:
    if probe is not None and key in probe.model_fields_set:
        return getattr(probe, key)
    for level in levels:
        value = getattr(level, key, None)
        if value is not None:
            return value
    return builtin


def _resolve_probe(
    probe: AnyProbe, integration: IntegrationSpec, defaults: ProbeDefaults
) -> AnyProbe:
    levels = (integration, defaults)
    update: dict[str, Any] = {
        key: _inherited(key, probe, levels, getattr(probe, key))
        for key in _INHERITED if key in type(probe).model_fields
    }
    update["alerts"] = merge_alerts(defaults.alerts, integration.alerts, probe.alerts)
    if "drift" in type(probe).model_fields:
        update["drift"] = merge_levels(DriftPolicy, defaults.drift, probe.drift)  # type: ignore[attr-defined]
    own = probe.model_fields_set
    update.update({k: v for k, v in probe.kind_defaults().items() if k not in own})
    return probe.model_copy(update=update)


def auth_probe(integration: IntegrationSpec, defaults: ProbeDefaults) -> AuthProbe:
    """The synthetic `auth` probe: the integration-level schedule, retries and alerts."""
    fields = AuthProbe.model_fields
    values = {
        key: _inherited(key, None, (integration, defaults), fields[key].default)
        for key in ("interval", "timeout", "retries", "locations")
    }
    alerts = merge_alerts(defaults.alerts, integration.alerts)
    return AuthProbe.model_construct(
        _fields_set={"name", *values}, name="auth", alerts=alerts, **values
    )


def run_policy(probe: AnyProbe) -> RunPolicy:
    """The run policy of a resolved probe: its timeout and retries, and the degraded rules of its
    merged `alerts:`."""
    return RunPolicy(
        timeout_s=probe.timeout,
        retries=probe.retries,
        degraded_latency_s=probe.alerts.degraded_latency,
        min_rate_limit_headroom=probe.alerts.min_rate_limit_headroom,
        rate_limit_forecast_s=forecast.within if (forecast := probe.alerts.rate_limit_forecast)
        else None,
    )


def _entry(integration: IntegrationSpec, probe: AnyProbe) -> ProbeEntry:
    return ProbeEntry(integration, probe, run_policy(probe))


def build_entries(integrations: list[IntegrationSpec], defaults: ProbeDefaults) -> list[ProbeEntry]:
    """Enabled probes in file order, each integration's auth probe first."""
    entries: list[ProbeEntry] = []
    for integration in integrations:
        if integration.slo is None and defaults.slo is not None:
            integration = integration.model_copy(update={"slo": defaults.slo})
        if integration.has_auth:
            entries.append(_entry(integration, auth_probe(integration, defaults)))
        entries += [
            _entry(integration, _resolve_probe(probe, integration, defaults))
            for probe in integration.probes if probe.enabled
        ]
    return entries


def absolute_storage_url(url: str, base_dir: Path) -> str:
    """`sqlite:///var/x.db` -> `sqlite:////etc/seamwatch/var/x.db` (relative to the config)."""
    found = _SQLITE.match(url)
    if found is None:
        return url
    path = found.group("path")
    if not path or path.startswith((":memory:", "/", "file:")):
        return url
    absolute = os.path.normpath(base_dir / path)
    return f"{found.group('dialect')}:///{absolute}{found.group('query') or ''}"


def _model_secrets(node: Any) -> Iterator[str]:
    """Every SecretStr value anywhere in a validated model tree."""
    if isinstance(node, SecretStr):
        yield node.get_secret_value()
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _model_secrets(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _model_secrets(item)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _model_secrets(item)


def _public_spans(value: str) -> list[Span]:
    """Where a URL names its place: the scheme and the host and port (not the userinfo, path,
    query or fragment), or the file path of a URL without a host (`sqlite:///data/x.db`).
    Empty for text that is not a URL."""
    found = _URL_HEAD.match(value)
    if found is None:
        return []
    authority_start = found.start("authority")
    authority = found.group("authority")
    if not authority:
        query = value.find("?", authority_start)
        return [(0, len(value) if query < 0 else query)]
    at = authority.rfind("@")
    host_start = authority_start + at + 1 if at >= 0 else authority_start
    return [(0, found.end("scheme")), (host_start, found.end("authority"))]


def _secret_pieces(value: str, spans: list[Span]) -> Iterator[str]:
    """The parts of `value` that `${…}` references put there, less the scheme, host and port of a
    URL (a place is not a secret, and masking it would break links such as `dashboard_url`)."""
    public = _public_spans(value)
    for start, end in spans:
        cursor = start
        for low, high in public:
            if high <= cursor or low >= end:
                continue
            if low > cursor:
                yield value[cursor:low]
            cursor = max(cursor, high)
        if cursor < end:
            yield value[cursor:end]


def _node(tree: Any, path: DataPath) -> Any:
    """The node at `path` in a dumped model (keys as written in the file), or _MISSING."""
    node = tree
    for part in path:
        found = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not found:
            return _MISSING
        node = node[part]
    return node


def _url_password(value: str) -> set[str]:
    """The password of a URL's userinfo, as written, decoded, and as the Basic credential an
    HTTP client makes of `user:password` (a server may echo that header)."""
    if "://" not in value or "@" not in value:
        return set()
    try:
        parts = urlsplit(value)
        password, username = parts.password, parts.username
    except ValueError:
        return set()
    if not password:
        return set()
    pair = f"{unquote(username or '')}:{unquote(password)}"
    return {password, unquote(password), base64.b64encode(pair.encode()).decode("ascii")}


def data_secrets(
    data: Any,
    substituted: set[DataPath],
    inserted: Mapping[DataPath, list[Span]] | None = None,
    typed: Any = _MISSING,
) -> set[str]:
    """Secret values found in the raw data:

    * credential-named keys, headers named like credentials or filled from `${…}`, `auth.value`;
    * every value a `${…}` reference inserted (`inserted`), wherever it is: body, json, form,
      params, headers, URL userinfo, paths and queries, `storage.url`. Not secrets: the scheme,
      host and port of a URL (the file path of a `sqlite:///` URL), the `host`, `port`,
      `listen`, `resolver`, `*_dir` and `*_file` keys, and values the model reads as numbers,
      durations, sizes or booleans (`typed`, the validated config dumped by alias; without it
      every inserted value counts);
    * the password in the userinfo of any URL (`https://user:pass@host`), literal or not."""
    found: set[str] = set()

    def walk(node: Any, path: DataPath) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))
        elif isinstance(node, str) and node:
            found.update(_url_password(node))
            if path and isinstance(path[-1], str) and "save" not in path:
                key, parent = path[-1], path[-2] if len(path) > 1 else None
                is_header = parent == "headers"
                if (
                    (_SECRET_KEY.search(key) and not key.endswith(("_url", "_file", "_dir")))
                    or (parent == "auth" and key == "value")
                    or (is_header and (is_secret_header(key) or path in substituted))
                    or (path in substituted and _SECRET_KEY.search(key))
                ):
                    found.add(node)
            spans = (inserted or {}).get(path)
            if spans and not _exempt(path, typed):
                found.update(_secret_pieces(node, spans))

    walk(data, ())
    return found


def _exempt(path: DataPath, typed: Any) -> bool:
    """An inserted value that names a place or is not text is not a secret."""
    if path and (path[-1] in _ADDRESS_KEYS or str(path[-1]).endswith(("_dir", "_file"))):
        return True
    if typed is _MISSING:
        return False
    leaf = _node(typed, path)
    return leaf is not _MISSING and leaf is not None and not isinstance(leaf, (str, SecretStr))


def collect_secrets(
    model: BaseModel, data: Any, substituted: set[DataPath],
    inserted: Mapping[DataPath, list[Span]] | None = None,
) -> frozenset[str]:
    typed = model.model_dump(mode="python", by_alias=True)
    found = {*_model_secrets(model), *data_secrets(data, substituted, inserted, typed)}
    return frozenset(s for s in found if s)
