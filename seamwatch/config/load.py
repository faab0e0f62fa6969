"""Loading `seamwatch.yaml`: YAML with positions -> `${VAR}` substitution -> pydantic models
composed from each part's spec -> cross-checks -> resolved probe entries, as one `Config`.

Every problem is reported at once, sorted by position, as `FILE:LINE:COL: key.path: message`
(the key path form is documented in errors.py). Loading never raises anything but
ConfigError, and a secret value never appears in a message, `repr(config)` or `summarize()`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alerts.channels.registry import channel_kind
from alerts.routing import Alerting
from alerts.spec import EmailSpec, MaintenanceSpec, NotifySpec
from core.redact import Redactor
from core.types import format_duration
from probes.spec import IntegrationSpec, ProbeDefaults
from seamwatch.config.checks import run_checks
from seamwatch.config.env import load_environment, substitute
from seamwatch.config.errors import ConfigError, ConfigProblem, format_key_path
from seamwatch.config.messages import Issue, collapse_unions, describe_value, translate
from seamwatch.config.model import ConfigFile, RunnerSpec
from seamwatch.config.positions import Positions, load_yaml
from seamwatch.config.resolve import (
    ProbeEntry,
    absolute_storage_url,
    build_entries,
    collect_secrets,
    data_secrets,
)
from seamwatch.config.walk import walk_loc
from storage.spec import StorageSpec

DEFAULT_CONFIG_NAME = "seamwatch.yaml"


@dataclass(frozen=True, repr=False)
class Config:
    """A loaded, valid config. `storage.url` is already absolute (same as `storage_url`)."""

    path: Path
    base_dir: Path
    storage: StorageSpec
    runner: RunnerSpec
    defaults: ProbeDefaults
    email: EmailSpec | None
    maintenance: list[MaintenanceSpec]
    integrations: list[IntegrationSpec]
    entries: list[ProbeEntry]
    secrets: frozenset[str] = field(default_factory=frozenset)
    alerting: Alerting = field(default_factory=Alerting)  # channels, routes, shared settings

    @property
    def storage_url(self) -> str:
        return self.storage.url

    @property
    def state_path(self) -> Path:
        """`runner.state_dir` made absolute against the config's folder."""
        return self.base_dir / self.runner.state_dir

    def entry(self, key: str) -> ProbeEntry:
        """The entry for `integration/probe`; KeyError if there is none."""
        for candidate in self.entries:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def redactor(self) -> Redactor:
        return Redactor(self.secrets)

    def __repr__(self) -> str:
        text = (
            f"Config(path={str(self.path)!r}, storage_url={self.storage_url!r}, "
            f"integrations={[i.name for i in self.integrations]!r}, "
            f"entries={[e.key for e in self.entries]!r})"
        )
        return Redactor(self.secrets).redact(text) or text


def resolve_config_path(arg: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """`-c FILE`, else `$SEAMWATCH_CONFIG`, else `./seamwatch.yaml`."""
    if arg:
        return Path(arg)
    if environ.get("SEAMWATCH_CONFIG"):
        return Path(environ["SEAMWATCH_CONFIG"])
    return Path(DEFAULT_CONFIG_NAME)


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """Load and validate the config at `path`; raise ConfigError listing every problem."""
    config_path = Path(path)
    try:
        return _load(config_path, os.environ if environ is None else environ)
    except ConfigError:
        raise
    except Exception as error:  # never a traceback for the user: report it as a config problem
        raise ConfigError.single(
            str(config_path),
            f"unexpected error while loading the config ({type(error).__name__}); "
            "please report this as a bug",
        ) from error


def _read(path: Path) -> str:
    file = str(path)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.single(file, "config file not found") from None
    except IsADirectoryError:
        raise ConfigError.single(file, "is a directory, not a config file") from None
    except UnicodeDecodeError as error:
        raise ConfigError.single(file, f"is not UTF-8 text ({error.reason})") from None
    except OSError as error:
        raise ConfigError.single(file, f"cannot read config file: {error.strerror}") from None


def _validation_issues(error: ValidationError, data: Any) -> list[Issue]:
    walked = [(detail, walk_loc(ConfigFile, data, detail["loc"])) for detail in error.errors()]
    issues = []
    for detail, walk in collapse_unions(walked, data):
        issue = translate(detail, walk)
        if issue is not None:
            issues.append(issue)
    return issues


def _load(path: Path, environ: Mapping[str, str]) -> Config:
    file = str(path)
    base_dir = path.absolute().parent
    data, positions = load_yaml(_read(path), file)
    if data is None:
        raise ConfigError([ConfigProblem(
            file, 1, 1, "", "the config file is empty; it needs at least an `integrations:` list"
        )])
    if not isinstance(data, dict):
        line, col = positions.locate(())
        raise ConfigError([ConfigProblem(
            file, line, col, "",
            f"the top level must be a mapping of keys such as `integrations:`, "
            f"got {describe_value(data)}",
        )])
    variables, problems = load_environment(base_dir, environ)
    substitution = substitute(data, variables)
    data = substitution.data
    env_issues = [Issue(p, message) for p, message in substitution.problems]
    unusable = {issue.path for issue in env_issues}
    issues = [*env_issues, *run_checks(data, base_dir)]
    model: ConfigFile | None = None
    try:
        model = ConfigFile.model_validate(data)
    except ValidationError as error:
        issues += _validation_issues(error, data)
    issues = [i for i in issues if i in env_issues or i.path not in unusable]
    if issues or problems:
        redactor = Redactor(
            data_secrets(data, substitution.substituted, substitution.inserted)
        )
        problems += [_problem(file, issue, positions, data, redactor) for issue in issues]
        raise ConfigError(problems)
    assert model is not None
    storage = model.storage.model_copy(
        update={"url": absolute_storage_url(model.storage.url, base_dir)}
    )
    email = model.email
    if email is not None and email.smtp.ca_file:
        smtp = email.smtp.model_copy(update={"ca_file": str(base_dir / email.smtp.ca_file)})
        email = email.model_copy(update={"smtp": smtp})
    alerting = _alerting(model, email, base_dir)
    secrets = collect_secrets(model, data, substitution.substituted, substitution.inserted)
    secrets |= {s for spec in alerting.channels.values()
                for s in channel_kind(spec.type).secrets(spec) if s}
    return Config(
        path=path.absolute(),
        base_dir=base_dir,
        storage=storage,
        runner=model.runner,
        defaults=model.defaults,
        email=email,
        maintenance=model.maintenance,
        integrations=model.integrations,
        entries=build_entries(model.integrations, model.defaults),
        secrets=frozenset(secrets),
        alerting=alerting,
    )


def _alerting(model: ConfigFile, email: EmailSpec | None, base_dir: Path) -> Alerting:
    """`channels:`/`routes:`/`notifications:`, or the old `email:` block as the channel `email`;
    email channels' `ca_file` made absolute."""
    if email is not None:
        return Alerting.from_email(email)
    channels = dict(model.channels or {})
    for name, spec in channels.items():
        if spec.type == "email" and spec.smtp.ca_file:
            smtp = spec.smtp.model_copy(update={"ca_file": str(base_dir / spec.smtp.ca_file)})
            channels[name] = spec.model_copy(update={"smtp": smtp})
    return Alerting(model.notifications or NotifySpec(), channels, list(model.routes or ()))


def _problem(
    file: str, issue: Issue, positions: Positions, data: Any, redactor: Redactor
) -> ConfigProblem:
    line, col = positions.locate(issue.path, issue.anchor)
    message = redactor.redact(issue.message) or issue.message
    return ConfigProblem(file, line, col, format_key_path(issue.path, data), message)


EMAIL_MIGRATION = """\
note: `email:` is the old form of the alert settings; it keeps working (as the channel `email`).
To migrate, move its smtp, from and to into a channel, and the rest into `notifications:`:
  notifications: {dashboard_url: ..., group_wait: ..., repeat_interval: ...,
                  send_resolved: ..., max_age: ...}
  channels:
    email: {type: email, smtp: {...}, from: ..., to: [...]}
Keep the name `email` so emails still queued in the outbox are delivered."""


def migration_notes(config: Config) -> list[str]:
    """What `seamwatch check` suggests for a valid file written in an old form."""
    return [EMAIL_MIGRATION] if config.email is not None else []


def summarize(config: Config) -> str:
    """What `seamwatch check` prints for a valid file: counts, then one line per scheduled probe."""
    probes = sum(len(i.probes) for i in config.integrations)
    disabled = probes - sum(1 for e in config.entries if e.probe.type != "auth")
    auth = sum(1 for e in config.entries if e.probe.type == "auth")
    counts = (
        f"{len(config.integrations)} integration{'s' if len(config.integrations) != 1 else ''}, "
        f"{len(config.entries)} scheduled probe{'s' if len(config.entries) != 1 else ''}"
        f" ({auth} auth"
        + (f", {disabled} disabled" if disabled else "")
        + ")"
    )
    rows = [
        (e.key, e.probe.type, f"every {format_duration(e.probe.interval)}",
         f"timeout {format_duration(e.probe.timeout)}", f"retries {e.probe.retries}")
        for e in config.entries
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(5)]
    lines = [counts]
    lines += ["  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip()
              for row in rows]
    return "\n".join(lines)
