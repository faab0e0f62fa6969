"""Valid configs: the full example file, inheritance of defaults, alerts merging, the synthetic auth
probe, the summary and the path and URL helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from probes.kinds.auth import AuthProbe
from probes.kinds.http import HttpProbe
from probes.kinds.tls import TlsProbe
from seamwatch.config import Config, load_config, resolve_config_path, summarize
from tests.seamwatch.conftest import WriteConfig

REFERENCE_EXAMPLE = Path(__file__).parent / "corpus" / "valid" / "reference-example.yaml"
REFERENCE_ENV = {
    "PAYMENTS_CLIENT_ID": "payments-probe",
    "PAYMENTS_CLIENT_SECRET": "cs-payments-9f8e7d",
    "SMTP_USER": "mailer",
    "SMTP_PASSWORD": "smtp-pw-1a2b3c",
}


@pytest.fixture
def design_config(tmp_path: Path) -> Config:
    path = tmp_path / "seamwatch.yaml"
    shutil.copy(REFERENCE_EXAMPLE, path)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "charges.json").write_text('{"type": "object"}')
    return load_config(path, environ=REFERENCE_ENV)


def test_design_example_loads(design_config: Config, tmp_path: Path) -> None:
    config = design_config
    assert [i.name for i in config.integrations] == ["payments"]
    assert [e.key for e in config.entries] == [
        "payments/auth", "payments/list-charges", "payments/customer-roundtrip",
        "payments/api-certificate",
    ]
    assert config.base_dir == tmp_path
    assert config.storage_url == f"sqlite:///{tmp_path}/var/seamwatch.db"
    assert config.storage.url == config.storage_url
    assert config.storage.raw_retention == 30 * 86400
    assert config.runner.listen == "127.0.0.1:9465"
    assert config.email is not None and config.email.to == ["oncall@example.com"]
    assert config.email.smtp.username == "mailer"
    assert config.maintenance[0].integrations == ["payments"]
    auth = config.integrations[0].auth
    assert auth is not None and auth.type == "oauth2_client_credentials"
    assert auth.client_secret.get_secret_value() == "cs-payments-9f8e7d"  # type: ignore[union-attr]


def test_design_example_resolves_inherited_values(design_config: Config) -> None:
    charges = design_config.entry("payments/list-charges").probe
    assert isinstance(charges, HttpProbe)
    assert (charges.interval, charges.timeout, charges.retries) == (30.0, 10.0, 1)
    assert charges.alerts.failure_threshold == 2  # integration overrides defaults' 3
    assert charges.alerts.degraded_latency == 2.0  # from defaults
    assert charges.alerts.to == ["billing-oncall@example.com"]
    assert charges.steps[0].save == {"charge_id": "$.data[0].id"}
    cert = design_config.entry("payments/api-certificate").probe
    assert isinstance(cert, TlsProbe) and cert.interval == 60.0
    with pytest.raises(KeyError):
        design_config.entry("payments/nope")


def test_design_example_secrets_are_collected_and_never_printed(design_config: Config) -> None:
    assert {"cs-payments-9f8e7d", "smtp-pw-1a2b3c"} <= design_config.secrets
    # the client id and SMTP user come from `${…}`: every substituted value is a secret
    assert {"payments-probe", "mailer"} <= design_config.secrets
    for text in (repr(design_config), summarize(design_config)):
        assert "cs-payments-9f8e7d" not in text
        assert "smtp-pw-1a2b3c" not in text


def test_summary_lists_each_scheduled_probe(design_config: Config) -> None:
    lines = summarize(design_config).splitlines()
    assert lines[0] == "1 integration, 4 scheduled probes (1 auth)"
    assert lines[1].split() == ["payments/auth", "auth", "every", "1m", "timeout", "10s",
                                "retries", "1"]
    assert lines[2].split() == ["payments/list-charges", "http", "every", "30s", "timeout",
                                "10s", "retries", "1"]
    assert lines[4].split()[:2] == ["payments/api-certificate", "tls"]


# `interval` set in defaults / integration / probe (None = not set) -> the probe's resolved
# interval, and the auth probe's (which follows the integration level)
INHERITANCE = [
    (None, None, None, 60.0, 60.0),
    ("20s", None, None, 20.0, 20.0),
    ("20s", "30s", None, 30.0, 30.0),
    ("20s", "30s", "40s", 40.0, 30.0),
    (None, "30s", None, 30.0, 30.0),
    (None, None, "40s", 40.0, 60.0),
    ("20s", None, "40s", 40.0, 20.0),
]


@pytest.mark.parametrize(("defaults", "integration", "probe", "expected", "auth"), INHERITANCE)
def test_interval_inheritance(
    write_config: WriteConfig, defaults: str | None, integration: str | None,
    probe: str | None, expected: float, auth: float,
) -> None:
    def line(value: str | None, indent: int) -> str:
        return f"\n{' ' * indent}interval: {value}" if value else ""

    path = write_config(
        f"defaults:\n  retries: 2{line(defaults, 2)}\n"
        "integrations:\n"
        f"  - name: shop\n    base_url: https://shop.example{line(integration, 4)}\n"
        "    auth: {type: bearer, token: tok-123456}\n"
        f"    probes:\n      - name: health{line(probe, 8)}\n"
        "        steps: [{name: get, path: /health}]\n"
    )
    config = load_config(path, environ={})
    health = config.entry("shop/health").probe
    assert health.interval == expected
    assert health.retries == 2
    auth_probe = config.entry("shop/auth").probe
    assert auth_probe.interval == auth
    assert auth_probe.retries == 2


def test_timeout_retries_and_max_body_layering(write_config: WriteConfig) -> None:
    path = write_config("""\
        defaults: {timeout: 5s, retries: 3, max_body: 64KiB}
        integrations:
          - name: shop
            base_url: https://shop.example
            timeout: 7s
            probes:
              - {name: a, steps: [{name: get, path: /a}]}
              - {name: b, retries: 0, max_body: 1KiB, timeout: 2s, steps: [{name: get, path: /b}]}
              - {name: c, type: tcp, host: shop.example, port: 443}
    """)
    config = load_config(path, environ={})
    a, b, c = (config.entry(f"shop/{n}").probe for n in "abc")
    assert isinstance(a, HttpProbe) and isinstance(b, HttpProbe)
    assert (a.timeout, a.retries, a.max_body) == (7.0, 3, 64 * 1024)
    assert (b.timeout, b.retries, b.max_body) == (2.0, 0, 1024)
    assert (c.timeout, c.retries) == (7.0, 3)


def test_locations_inherit_from_the_integration(write_config: WriteConfig) -> None:
    path = write_config("""\
        integrations:
          - name: shop
            base_url: https://shop.example
            auth: {type: bearer, token: t}
            locations: [eu, us]
            probes:
              - {name: a, steps: [{name: get, path: /a}]}
              - {name: b, locations: [us], steps: [{name: get, path: /b}]}
          - name: crm
            base_url: https://crm.example
            probes: [{name: c, steps: [{name: get, path: /c}]}]
    """)
    config = load_config(path, environ={})
    where = {e.key: [loc for loc in ("eu", "us", "ap") if e.runs_at(loc)]
             for e in config.entries}
    assert where == {"shop/auth": ["eu", "us"], "shop/a": ["eu", "us"], "shop/b": ["us"],
                     "crm/c": ["eu", "us", "ap"]}


def test_alerts_merge_key_by_key(write_config: WriteConfig) -> None:
    path = write_config("""\
        defaults:
          alerts: {failure_threshold: 5, recovery_threshold: 4, degraded_latency: 2s}
        integrations:
          - name: shop
            base_url: https://shop.example
            auth: {type: basic, username: probe, password: pw-secret-77}
            alerts: {failure_threshold: 2, to: [shop@example.com]}
            probes:
              - name: health
                alerts: {degraded_latency: 500ms, notify_degraded: true}
                steps: [{name: get, path: /health}]
    """)
    config = load_config(path, environ={})
    health = config.entry("shop/health").probe.alerts
    assert (health.failure_threshold, health.recovery_threshold) == (2, 4)
    assert (health.degraded_latency, health.notify_degraded) == (0.5, True)
    assert health.to == ["shop@example.com"]
    auth = config.entry("shop/auth").probe.alerts
    assert (auth.failure_threshold, auth.recovery_threshold, auth.degraded_latency) == (2, 4, 2.0)
    assert auth.notify_degraded is False


def test_auth_probe_is_synthesised_first_and_disabled_probes_are_left_out(
    write_config: WriteConfig,
) -> None:
    path = write_config("""\
        integrations:
          - name: open
            base_url: https://open.example
            auth: {type: none}
            probes: [{name: ping, steps: [{name: get, path: /}]}]
          - name: shop
            base_url: https://shop.example
            interval: 45s
            auth: {type: api_key, header: X-Api-Key, value: key-abcdef}
            probes:
              - {name: off, enabled: false, steps: [{name: get, path: /}]}
              - {name: on, steps: [{name: get, path: /}]}
    """)
    config = load_config(path, environ={})
    assert [e.key for e in config.entries] == ["open/ping", "shop/auth", "shop/on"]
    auth = config.entry("shop/auth")
    assert isinstance(auth.probe, AuthProbe)
    assert (auth.probe.name, auth.probe.type, auth.probe.interval) == ("auth", "auth", 45.0)
    assert auth.integration is config.integrations[1]
    assert summarize(config).splitlines()[0] == (
        "2 integrations, 3 scheduled probes (1 auth, 1 disabled)"
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/sw.db", "sqlite:///{base}/data/sw.db"),
        ("sqlite:///../sw.db?timeout=5", "sqlite:///{parent}/sw.db?timeout=5"),
        ("sqlite:////var/lib/sw.db", "sqlite:////var/lib/sw.db"),
        ("sqlite:///:memory:", "sqlite:///:memory:"),
        ("postgresql+psycopg://sw:pw@db/sw", "postgresql+psycopg://sw:pw@db/sw"),
    ],
)
def test_storage_url_is_made_absolute(write_config: WriteConfig, url: str, expected: str) -> None:
    path = write_config(f"""\
        storage: {{url: "{url}"}}
        integrations: [{{name: a, probes: [{{name: t, type: tcp, host: a.example, port: 1}}]}}]
    """)
    config = load_config(path, environ={})
    base = path.parent
    assert config.storage_url == expected.format(base=base, parent=base.parent)


def test_runner_spec_defaults_and_state_path(write_config: WriteConfig) -> None:
    path = write_config("""\
        version: 1
        runner: {location: eu-west, listen: null, state_dir: state}
        integrations: [{name: a, probes: [{name: t, type: tcp, host: a.example, port: 1}]}]
    """)
    config = load_config(path, environ={})
    assert (config.runner.location, config.runner.listen) == ("eu-west", None)
    assert config.runner.concurrency == 100
    assert config.state_path == path.parent / "state"
    assert config.path == path


@pytest.mark.parametrize(
    ("arg", "environ", "expected"),
    [
        ("custom.yaml", {"SEAMWATCH_CONFIG": "/etc/sw.yaml"}, "custom.yaml"),
        (None, {"SEAMWATCH_CONFIG": "/etc/sw.yaml"}, "/etc/sw.yaml"),
        (None, {}, "seamwatch.yaml"),
        (None, {"SEAMWATCH_CONFIG": ""}, "seamwatch.yaml"),
    ],
)
def test_resolve_config_path(arg: str | None, environ: dict[str, str], expected: str) -> None:
    assert resolve_config_path(arg, environ) == Path(expected)
