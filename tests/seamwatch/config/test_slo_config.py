"""`slo:` in `defaults:`, on an integration and on a probe: which SLO targets the config makes."""

from __future__ import annotations

import pytest

from alerts.settings import Settings
from seamwatch.config import load_config
from tests.seamwatch.conftest import WriteConfig


def test_slo_targets(write_config: WriteConfig) -> None:
    path = write_config("""\
        defaults:
          slo: {objective: 99.5%}
        integrations:
          - name: shop
            base_url: https://shop.example
            auth: {type: basic, username: probe, password: pw}
            slo: {objective: 99.95%, window: 7d, min_runs: 5}
            probes:
              - name: health
                slo: {objective: 0.99, alerts: false}
                steps: [{name: get, path: /health}]
              - {name: list, steps: [{name: get, path: /list}]}
          - name: crm
            base_url: https://crm.example
            probes:
              - {name: contacts, steps: [{name: get, path: /contacts}]}
    """)
    slos = Settings.from_config(load_config(path, environ={})).slos
    got = [(t.key, t.probes, t.spec.objective, t.spec.window, t.spec.min_runs, t.spec.alerts)
           for t in slos]
    assert got == [
        ("crm", ("contacts",), pytest.approx(0.995), 30 * 86400.0, 3, True),  # from defaults
        ("shop", ("auth", "health", "list"), pytest.approx(0.9995), 7 * 86400.0, 5, True),
        ("shop/health", ("health",), pytest.approx(0.99), 30 * 86400.0, 3, False),
    ]


def test_no_slo_no_targets(write_config: WriteConfig) -> None:
    path = write_config("""\
        integrations:
          - name: shop
            base_url: https://shop.example
            probes:
              - {name: health, steps: [{name: get, path: /health}]}
    """)
    assert Settings.from_config(load_config(path, environ={})).slos == ()
