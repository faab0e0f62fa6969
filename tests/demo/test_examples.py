"""Every bundled example config passes `seamwatch check` (with placeholder environment variables)
and has at least one probe; the demo config points at the sandbox and the mail catcher."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seamwatch.config import ConfigError, load_config
from seamwatch.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_REQUIRED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
FILES = sorted(EXAMPLES.glob("*.yaml"))


def _placeholders(text: str) -> dict[str, str]:
    """A value for every `${VAR}` without a default (URLs where the name says so)."""
    env: dict[str, str] = {}
    for name in _REQUIRED.findall(text):
        env[name] = "https://placeholder.example.com" if name.endswith("URL") else "placeholder"
    return env


def test_the_examples_are_there() -> None:
    names = {path.name for path in EXAMPLES.glob("*.yaml")}
    assert {"demo.yaml", "github.yaml", "oauth2-provider.yaml", "stripe-style.yaml",
            "tls-certificate.yaml", "smtp-relay.yaml", "rabbitmq-postgres.yaml",
            "stripe-webhook.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_example_validates(path: Path) -> None:
    try:
        config = load_config(path, _placeholders(path.read_text(encoding="utf-8")))
    except ConfigError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"{path.name} does not validate:\n{error}")
    assert config.integrations
    assert all(integration.probes for integration in config.integrations)
    assert config.entries


@pytest.mark.parametrize("path", [p for p in FILES if _REQUIRED.search(p.read_text())],
                         ids=lambda p: p.name)
def test_missing_variables_are_reported(path: Path) -> None:
    with pytest.raises(ConfigError):
        load_config(path, {})


def test_demo_config_targets_the_sandbox_and_catcher() -> None:
    env = {"SEAMWATCH_DEMO_API_PORT": "18765", "SEAMWATCH_DEMO_SMTP_PORT": "18025",
           "SEAMWATCH_DATA": "/tmp/seamwatch-demo-data"}
    config = load_config(EXAMPLES / "demo.yaml", env)
    [sandbox] = [i for i in config.integrations if i.name == "sandbox"]
    assert sandbox.base_url == "http://127.0.0.1:18765"
    assert sandbox.auth is not None and sandbox.auth.type == "oauth2_client_credentials"
    assert sandbox.auth.token_url == "http://127.0.0.1:18765/oauth/token"
    assert sandbox.auth.client_id == DEMO_CLIENT_ID
    assert sandbox.auth.client_secret.get_secret_value() == DEMO_CLIENT_SECRET
    assert config.email is not None
    assert (config.email.smtp.host, config.email.smtp.port) == ("127.0.0.1", 18025)
    assert config.email.smtp.security == "none"
    assert config.storage.url == "sqlite:////tmp/seamwatch-demo-data/seamwatch.db"
    entries = {entry.key: entry.probe for entry in config.entries}
    assert {"sandbox/auth", "sandbox/list-customers", "sandbox/customer-roundtrip"} <= set(entries)
    # the demo reacts within minutes: short intervals, low thresholds, quick email grouping
    assert all(probe.interval <= 30 for probe in entries.values())
    assert all(probe.alerts.failure_threshold <= 2 for probe in entries.values())
    assert config.email.group_wait <= 5
    assert sandbox.slo is None and config.defaults.slo is not None  # inherited when resolved
    assert {e.integration.slo.objective for e in config.entries
            if e.integration.slo is not None} == {0.99}
