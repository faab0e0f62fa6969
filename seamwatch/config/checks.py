"""Checks the models cannot make alone, run on the (substituted) data so they report even when
other parts of the file are invalid: unique names, files beside the config, cron expressions,
integration references, e-mail addresses, URLs, `$ref`s in schema files that are not local
files, and each probe kind's own checks (the `check`
of its entry in probes/registry.py).
Cron expressions and time zones are validated by alerts/spec.py's MaintenanceSpec itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for

from probes.http.openapi.check import document_problem
from probes.http.schemas import ref_problems, schema_id_keyword
from probes.kinds.base import CheckContext
from probes.registry import DEFAULT_KIND, kind_named
from seamwatch.config.errors import DataPath
from seamwatch.config.messages import Issue

_EMAIL = re.compile(
    r"^[^@\s<>,;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def _mappings(node: Any, key: str, path: DataPath) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    """The mapping items of the list at `node[key]`, with their paths."""
    items = node.get(key) if isinstance(node, dict) else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield (*path, key, index), item


def integrations(data: Any) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    return _mappings(data, "integrations", ())


def probes(data: Any) -> Iterator[tuple[DataPath, dict[str, Any], dict[str, Any]]]:
    for ipath, integration in integrations(data):
        for ppath, probe in _mappings(integration, "probes", ipath):
            yield ppath, probe, integration


def steps(data: Any) -> Iterator[tuple[DataPath, dict[str, Any], dict[str, Any]]]:
    for ppath, probe, integration in probes(data):
        for spath, step in _mappings(probe, "steps", ppath):
            yield spath, step, integration


def _unique(items: list[tuple[DataPath, dict[str, Any]]], what: str) -> list[Issue]:
    issues: list[Issue] = []
    first: dict[str, DataPath] = {}
    for path, item in items:
        name = item.get("name")
        if not isinstance(name, str):
            continue
        if name in first:
            issues.append(Issue((*path, "name"), f"duplicate {what} name `{name}`"))
        else:
            first[name] = path
    return issues


def check_names(data: Any) -> list[Issue]:
    issues = _unique(list(integrations(data)), "integration")
    issues += _unique(list(_mappings(data, "maintenance", ())), "maintenance window")
    for ipath, integration in integrations(data):
        probe_items = list(_mappings(integration, "probes", ipath))
        issues += _unique(probe_items, "probe")
        if integration.get("auth") is not None:
            issues += [
                Issue((*path, "name"), "probe name `auth` is reserved for the integration's "
                      "auth probe; choose another name")
                for path, probe in probe_items if probe.get("name") == "auth"
            ]
        for ppath, probe in probe_items:
            issues += _unique(list(_mappings(probe, "steps", ppath)), "step")
    return issues


def _check_file(base_dir: Path, path: DataPath, value: Any, what: str) -> list[Issue]:
    if not isinstance(value, str) or not value:
        return []
    target = base_dir / value
    if not target.exists():
        return [Issue(path, f"{what} {value} not found (looked for {target})")]
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return [Issue(path, f"cannot read {what} {value}: {reason}")]
    if what != "schema file":
        return []
    try:
        schema = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        detail = error if isinstance(error, json.JSONDecodeError) else "nested too deeply"
        return [Issue(path, f"schema file {value} is not valid JSON: {detail}")]
    if not isinstance(schema, dict | bool):
        return [Issue(path, f"schema file {value} is not a valid JSON Schema: "
                      "a schema is an object or a boolean")]
    try:
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)
    except SchemaError as error:
        return [Issue(path, f"schema file {value} is not a valid JSON Schema: {error.message}")]
    # Remote `$ref`s are refused at run time (probes/http/schemas.py): report them here, at the
    # `schema:` key, naming the reference.
    return [Issue(path, f"schema file {value}: {message}")
            for _, message in ref_problems(target, schema, schema_id_keyword(validator_class))]


def check_files(data: Any, base_dir: Path) -> list[Issue]:
    issues: list[Issue] = []
    for ipath, integration in integrations(data):
        issues += _check_file(base_dir, (*ipath, "ca_file"), integration.get("ca_file"), "CA file")
    for ppath, probe, _ in probes(data):
        issues += _check_file(base_dir, (*ppath, "ca_file"), probe.get("ca_file"), "CA file")
    for path, email in _email_channels(data):
        smtp = email.get("smtp")
        if isinstance(smtp, dict):
            issues += _check_file(base_dir, (*path, "smtp", "ca_file"), smtp.get("ca_file"),
                                  "CA file")
    for spath, step, _ in steps(data):
        expect = step.get("expect")
        if isinstance(expect, dict):
            issues += _check_file(
                base_dir, (*spath, "expect", "schema"), expect.get("schema"), "schema file")
    return issues


def check_maintenance(data: Any) -> list[Issue]:
    """Windows must name defined integrations (cron and time zone are checked by the model)."""
    defined = {name for _, i in integrations(data) if isinstance(name := i.get("name"), str)}
    issues: list[Issue] = []
    for mpath, window in _mappings(data, "maintenance", ()):
        names = window.get("integrations")
        if isinstance(names, list):
            for index, name in enumerate(names):
                if isinstance(name, str) and name not in defined:
                    issues.append(Issue((*mpath, "integrations", index),
                                        f"no integration named `{name}`"))
    return issues


def _address_issues(path: DataPath, value: Any, display_name_ok: bool) -> list[Issue]:
    if not isinstance(value, str):
        return []
    address = parseaddr(value)[1] if display_name_ok else value.strip()
    if _EMAIL.match(address or ""):
        return []
    return [Issue(path, f"{value!r} is not an e-mail address (expected name@example.com)")]


def _email_channels(data: Any) -> Iterator[tuple[DataPath, dict[str, Any]]]:
    """The old `email:` block and every `channels:` entry of type email."""
    email = data.get("email") if isinstance(data, dict) else None
    if isinstance(email, dict):
        yield ("email",), email
    for name, channel in _channels(data).items():
        if isinstance(channel, dict) and channel.get("type") == "email":
            yield ("channels", name), channel


def _channels(data: Any) -> dict[str, Any]:
    channels = data.get("channels") if isinstance(data, dict) else None
    return channels if isinstance(channels, dict) else {}


def check_channels(data: Any) -> list[Issue]:
    """`email:` is not mixed with the new form; routes name defined channels and
    integrations."""
    if not isinstance(data, dict):
        return []
    issues: list[Issue] = []
    newer = [key for key in ("channels", "routes", "notifications") if data.get(key) is not None]
    if data.get("email") is not None and newer:
        issues.append(Issue(("email",), f"`email:` (the old form) cannot be combined with "
                            f"`{'`, `'.join(newer)}:`; move it into `channels:` as a channel of "
                            "type email (and its shared settings into `notifications:`)"))
    defined = list(_channels(data))
    reports = data.get("notifications", {}).get("reports") if isinstance(
        data.get("notifications"), dict) else None
    wanted_channel = reports.get("channel") if isinstance(reports, dict) else None
    emails = [n for n, c in _channels(data).items() if isinstance(c, dict)
              and c.get("type") == "email"]
    if isinstance(wanted_channel, str) and wanted_channel not in emails:
        issues.append(Issue(("notifications", "reports", "channel"),
                            f"no email channel named `{wanted_channel}` (email channels: "
                            f"{', '.join(emails) or 'none'})"))
    elif isinstance(reports, dict) and not emails:
        issues.append(Issue(("notifications", "reports"),
                            "the report is sent by email: add a channel of type email"))
    integrations_defined = {n for _, i in integrations(data) if isinstance(n := i.get("name"), str)}
    for rpath, route in _mappings(data, "routes", ()):
        names = route.get("channels")
        for index, name in enumerate(names if isinstance(names, list) else ()):
            if isinstance(name, str) and name not in defined:
                known = f"defined: {', '.join(defined)}" if defined else "none under `channels:`"
                issues.append(Issue((*rpath, "channels", index),
                                    f"no channel named `{name}` ({known})"))
        match = route.get("match")
        wanted = match.get("integrations") if isinstance(match, dict) else None
        for index, name in enumerate(wanted if isinstance(wanted, list) else ()):
            if isinstance(name, str) and name not in integrations_defined:
                issues.append(Issue((*rpath, "match", "integrations", index),
                                    f"no integration named `{name}`"))
    return issues


def check_emails(data: Any) -> list[Issue]:
    issues: list[Issue] = []
    scopes: list[tuple[DataPath, Any]] = []
    for path, email in _email_channels(data):
        scopes.append((path, email))
        issues += _address_issues((*path, "from"), email.get("from"), True)
        if path == ("email",):
            scopes.append((("email", "reports"), email.get("reports")))
    notifications = data.get("notifications") if isinstance(data, dict) else None
    if isinstance(notifications, dict):
        scopes.append((("notifications", "reports"), notifications.get("reports")))
    defaults = data.get("defaults") if isinstance(data, dict) else None
    if isinstance(defaults, dict):
        scopes.append((("defaults", "alerts"), defaults.get("alerts")))
    scopes += [((*p, "alerts"), i.get("alerts")) for p, i in integrations(data)]
    scopes += [((*p, "alerts"), probe.get("alerts")) for p, probe, _ in probes(data)]
    for path, scope in scopes:
        recipients = scope.get("to") if isinstance(scope, dict) else None
        if isinstance(recipients, list):
            for index, address in enumerate(recipients):
                issues += _address_issues((*path, "to", index), address, True)
    return issues


def _url_issue(path: DataPath, value: Any) -> list[Issue]:
    if not isinstance(value, str) or value.lstrip().startswith("{{"):
        return []
    try:
        parts = urlsplit(value.strip())
    except ValueError as error:  # an unclosed `[` of an IPv6 address, say
        return [Issue(path, f"{value!r} is not a valid URL ({error})")]
    if parts.scheme not in ("http", "https"):
        return [Issue(path, f"expected an http:// or https:// URL, got {value!r}")]
    if not parts.hostname:
        return [Issue(path, f"the URL {value!r} has no host")]
    return []


def check_urls(data: Any) -> list[Issue]:
    issues: list[Issue] = []
    for ipath, integration in integrations(data):
        issues += _url_issue((*ipath, "base_url"), integration.get("base_url"))
        auth = integration.get("auth")
        if isinstance(auth, dict):
            issues += _url_issue((*ipath, "auth", "token_url"), auth.get("token_url"))
    for spath, step, integration in steps(data):
        issues += _url_issue((*spath, "url"), step.get("url"))
        if isinstance(step.get("path"), str) and not integration.get("base_url"):
            issues.append(Issue((*spath, "path"), "`path` needs `base_url` on the integration; "
                                "set base_url there or give this step a full `url`"))
    return issues


def _listener_enabled(data: Any) -> bool:
    runner = data.get("runner") if isinstance(data, dict) else None
    return not (isinstance(runner, dict) and "listen" in runner and runner["listen"] is None)


def check_kinds(data: Any, base_dir: Path) -> list[Issue]:
    """Each probe through its kind's own check, if the kind has one."""
    context = CheckContext(base_dir=base_dir, listener_enabled=_listener_enabled(data))
    issues: list[Issue] = []
    for ppath, probe, integration in probes(data):
        kind = kind_named(probe.get("type", DEFAULT_KIND))
        if kind is None or not kind.user_writable or kind.check is None:
            continue
        found = kind.check(probe, context._replace(integration=integration))
        issues += [Issue((*ppath, *key), message) for key, message in found]
    return issues


def check_openapi(data: Any, base_dir: Path) -> list[Issue]:
    """An integration's `openapi.spec` must be a usable OpenAPI document (a step's own is
    checked with its probe's kind)."""
    issues: list[Issue] = []
    for ipath, integration in integrations(data):
        source = integration.get("openapi")
        problem = document_problem(base_dir, source.get("spec")) if isinstance(
            source, dict) else None
        if problem is not None:
            issues.append(Issue((*ipath, "openapi", "spec"), problem))
    return issues


def run_checks(data: Any, base_dir: Path) -> list[Issue]:
    return [
        *check_names(data), *check_files(data, base_dir), *check_maintenance(data),
        *check_emails(data), *check_urls(data), *check_kinds(data, base_dir),
        *check_openapi(data, base_dir),
        *check_channels(data),
    ]
