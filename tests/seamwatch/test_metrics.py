"""`serve`'s /metrics over real HTTP: the series of a probe removed from the config go away on the
reload (before, they stayed until a restart)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest

from probes.result import Expiry, ExpiryKind, ProbeResult, RunStatus
from seamwatch.metrics import ServeMetrics
from tests.support.cli import ServeProcess, wait_until
from tests.support.servers import UvicornThread
from tests.support.testapi import TestApi

BROKEN = "      - {name: broken, steps: [{name: boom, path: /status/503}]}\n"


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def test_metrics_of_removed_probes_go_away_on_reload(tmp_path: Path, api_url: str) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: "127.0.0.1:0"}}
defaults: {{interval: 200ms, retries: 0}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
      - {{name: list, steps: [{{name: get, path: /v1/items}}]}}
{BROKEN}""")
    with ServeProcess(path) as serve:
        match = re.search(r"http://[\d.]+:\d+", serve.wait_for_log(r"listening on http://"))
        assert match is not None
        base = match.group(0)

        def metrics() -> str:
            return httpx.get(f"{base}/metrics").text

        wait_until(lambda: 'probe="broken"' in metrics() and 'probe="list"' in metrics(),
                   what="series of both probes")
        path.write_text(path.read_text().replace(BROKEN, ""))
        serve.wait_for_log(r"config reloaded: 1 integrations, 1 probes")
        text = metrics()
        assert 'probe="broken"' not in text  # runs_total, probe_up and latency alike
        assert 'seamwatch_probe_up{integration="shop",probe="list"}' in text
        assert serve.terminate() == 0


def test_webhook_delivery_series_go_away_with_their_probe() -> None:
    from prometheus_client import generate_latest

    from seamwatch.metrics import ServeMetrics

    metrics = ServeMetrics()
    metrics.retain([("pay", "paid"), ("pay", "events")])
    for key, outcome in (("pay/paid", "accepted"), ("pay/paid", "duplicate"),
                         ("pay/events", "rejected")):
        metrics.receipt(key, outcome)
    text = generate_latest(metrics.registry).decode()
    assert ('seamwatch_webhook_deliveries_total{integration="pay",outcome="duplicate",'
            'probe="paid"} 1.0') in text
    metrics.retain([("pay", "paid")])
    text = generate_latest(metrics.registry).decode()
    assert 'probe="events"' not in text and 'probe="paid"' in text


def test_expiries_are_gauges_until_their_probe_goes() -> None:
    metrics = ServeMetrics()
    run = ProbeResult("idp", "auth", "auth", RunStatus.OK, datetime.now(UTC), 5.0,
                      expiries=[Expiry(ExpiryKind.REFRESH_TOKEN, "refresh token", 1.8e9)])
    metrics.record(run)
    text = generate_latest(metrics.registry).decode()
    assert ('seamwatch_credential_expiry_timestamp_seconds{integration="idp",'
            'kind="refresh_token",subject="refresh token"} 1.8e+09') in text
    metrics.retain([("idp", "other")])
    assert "seamwatch_credential_expiry_timestamp_seconds{" not in generate_latest(
        metrics.registry).decode()
