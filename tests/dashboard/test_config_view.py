"""The Configuration page's view of the config: every `${…}` value and URL password is masked,
wherever in the config it is (body, json, form, params, URL userinfo, storage.url), and
durations and sizes read as written (`30d`, `1MiB`)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from core.types import format_byte_size, parse_byte_size
from dashboard.config_view import masked_config
from seamwatch.config import load_config
from tests.seamwatch.config.test_env import PAYLOAD_CONFIG, PAYLOAD_SECRETS, PLACES


def test_every_substituted_value_is_masked_on_the_configuration_page(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text(textwrap.dedent(PAYLOAD_CONFIG), encoding="utf-8")
    config = load_config(path, environ={**PAYLOAD_SECRETS, **PLACES})
    shown = json.dumps(masked_config(config))
    leaked = [name for name, value in PAYLOAD_SECRETS.items() if value in shown]
    assert leaked == []
    assert "literal-url-pw" not in shown
    assert "api.example" in shown and "dash.example:8501" in shown  # places stay readable


AS_WRITTEN = """
storage: {url: "sqlite:///%(db)s", raw_retention: 30d, flush_interval: 250ms}
defaults: {interval: 30s, timeout: 1m30s, alerts: {degraded_latency: 2s}}
email:
  smtp: {host: 127.0.0.1, port: 2525, security: none}
  from: "seamwatch <alerts@example.com>"
  to: [oncall@example.com]
  repeat_interval: 4h
maintenance:
  - {name: nightly, cron: "0 2 * * *", duration: 30m}
integrations:
  - name: payments
    base_url: http://127.0.0.1:9
    probes:
      - name: list
        interval: 45s
        max_body: 1MiB
        steps: [{name: get, path: /, expect: {latency_under: 800ms}}]
"""


@pytest.mark.parametrize(("where", "written"), [
    (("storage", "raw_retention"), "30d"),
    (("storage", "flush_interval"), "250ms"),
    (("defaults", "interval"), "30s"),
    (("defaults", "timeout"), "1m30s"),
    (("defaults", "alerts", "degraded_latency"), "2s"),
    (("email", "repeat_interval"), "4h"),
    (("email", "smtp", "timeout"), "10s"),  # a default, shown the same way
    (("maintenance", 0, "duration"), "30m"),
    (("integrations", 0, "probes", 0, "interval"), "45s"),
    (("integrations", 0, "probes", 0, "max_body"), "1MiB"),
    (("integrations", 0, "probes", 0, "steps", 0, "expect", "latency_under"), "800ms"),
    (("email", "from"), "seamwatch <alerts@example.com>"),  # keys as written, not `from_`
    (("storage", "batch_size"), 1000),  # a plain number stays a number
])
def test_durations_and_sizes_are_shown_as_written(
        tmp_path: Path, where: tuple[str | int, ...], written: object) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text(AS_WRITTEN % {"db": tmp_path / "x.db"}, encoding="utf-8")
    node: Any = masked_config(load_config(path))
    for key in where:
        node = node[key]
    assert node == written


@pytest.mark.parametrize(("size", "text"), [
    (0, "0B"), (1, "1B"), (1024, "1KiB"), (1000, "1KB"), (1_048_576, "1MiB"),
    (3_000_000, "3MB"), (1500, "1500B"), (2 * 1024**3, "2GiB"),
])
def test_byte_sizes_format_back_to_what_parses(size: int, text: str) -> None:
    assert format_byte_size(size) == text and parse_byte_size(text) == size
