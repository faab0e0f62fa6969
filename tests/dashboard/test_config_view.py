"""The Configuration page's view of the config: every `${…}` value and URL password is masked,
wherever in the config it is (body, json, form, params, URL userinfo, storage.url)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

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
