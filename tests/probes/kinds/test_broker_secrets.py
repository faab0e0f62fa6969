"""Broker credentials written as `${VAR}` (a `password:`, a `token:`, a URL's userinfo) are secrets
of the loaded config, and no run of a broker kind carries them, failed or not."""

from __future__ import annotations

import json
from pathlib import Path

from probes.run import run_probe
from seamwatch.config import load_config
from tests.probes.conftest import MakeRuntime
from tests.support.brokers import HOST, shared

CANARIES = {"CANARY_PASSWORD": "canary-broker-password-3e9d1",
            "CANARY_URL": "canary-broker-userinfo-7a2c4",
            "CANARY_TOKEN": "canary-broker-token-05bf8"}


async def test_broker_credentials_are_secrets_and_never_recorded(
        tmp_path: Path, make_rt: MakeRuntime) -> None:
    rabbit, redis, nats, mosquitto = (shared(s) for s in ("rabbitmq", "redis", "nats",
                                                          "mosquitto"))
    path = tmp_path / "seamwatch.yaml"
    path.write_text(f"""
defaults: {{retries: 0, timeout: 4s}}
integrations:
  - name: queues
    probes:
      - {{name: rabbit-url, type: amqp, url: "amqp://guest:${{CANARY_URL}}@{HOST}:{rabbit}/"}}
      - {{name: rabbit-key, type: amqp, url: "amqp://{HOST}:{rabbit}/", username: guest,
          password: "${{CANARY_PASSWORD}}"}}
      - {{name: cache, type: redis, url: "redis://{HOST}:{redis}", username: nobody,
          password: "${{CANARY_PASSWORD}}"}}
      - {{name: bus, type: nats, url: "nats://{HOST}:{nats}", token: "${{CANARY_TOKEN}}"}}
      - {{name: telemetry, type: mqtt, url: "mqtt://probe:${{CANARY_URL}}@{HOST}:{mosquitto}"}}
""")
    config = load_config(path, environ=CANARIES)
    assert set(CANARIES.values()) <= config.secrets
    rt = make_rt(secrets=tuple(config.secrets))
    results = [await run_probe(rt, entry.probe, entry.policy) for entry in config.entries]
    outcomes = {r.probe: (str(r.category) if r.category else None) for r in results}
    assert outcomes["rabbit-url"] == outcomes["rabbit-key"] == outcomes["cache"] == "auth"
    recorded = json.dumps([r.to_json() for r in results])
    for canary in CANARIES.values():
        assert canary not in recorded
