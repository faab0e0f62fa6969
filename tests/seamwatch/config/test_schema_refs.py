"""`seamwatch check` and schema files' `$ref`s (issue 9, item 1): a reference that is not a local
file is reported at the `schema:` key, naming the reference, and never fetched; local references
(relative to the schema file) pass."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from seamwatch.config import ConfigError, load_config
from tests.probes.http.canned import CannedServer, http_response
from tests.support.cli import run_cli

CONFIG = """\
    integrations:
      - name: shop
        base_url: https://shop.example
        probes:
          - name: orders
            steps:
              - name: get
                path: /orders/1
                expect:
                  schema: schemas/order.json
"""
KEY = "integrations[shop].probes[orders].steps[get].expect.schema"


def _setup(folder: Path, order: dict[str, Any], **others: dict[str, Any]) -> Path:
    schemas = folder / "schemas"
    for name, schema in {"order.json": order, **others}.items():
        (schemas / name).parent.mkdir(parents=True, exist_ok=True)
        (schemas / name).write_text(json.dumps(schema))
    config = folder / "seamwatch.yaml"
    config.write_text(textwrap.dedent(CONFIG))
    return config


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={})
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_check_rejects_a_remote_ref_without_fetching_it(tmp_path: Path) -> None:
    served = http_response(200, b'{"$defs": {"amount": {"type": "integer"}}}')
    with CannedServer(served) as host:
        ref = f"{host.url}/money.json#/$defs/amount"
        config = _setup(tmp_path, {"properties": {"total": {"$ref": ref}}})
        result = run_cli(["check", "-c", str(config)])
        assert host.connections == 0
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    expected = (f"{config}:10:23: {KEY}: schema file schemas/order.json: $ref {ref} is not a "
                "local file; schemas are never fetched over the network")
    assert any(line.startswith(expected) for line in result.stderr.splitlines()), result.stderr


def test_remote_ref_in_a_referenced_file_is_reported_at_the_schema_key(tmp_path: Path) -> None:
    config = _setup(
        tmp_path, {"properties": {"total": {"$ref": "common/money.json#/$defs/amount"}}},
        **{"common/money.json": {"$defs": {"amount": {"$ref": "urn:example:amount"}}}},
    )
    problems = _problems(config)
    assert len(problems) == 1
    assert problems[0].startswith(f"10:23: {KEY}: schema file schemas/order.json: $ref "
                                  "urn:example:amount is not a local file")


def test_missing_referenced_file_is_reported(tmp_path: Path) -> None:
    config = _setup(tmp_path, {"properties": {"total": {"$ref": "money.json"}}})
    problems = _problems(config)
    assert len(problems) == 1 and problems[0].startswith(f"10:23: {KEY}: schema file ")
    assert "$ref money.json points to" in problems[0]
    assert "No such file or directory" in problems[0]


def test_local_and_embedded_refs_pass(tmp_path: Path) -> None:
    config = _setup(
        tmp_path,
        {"$defs": {"line": {"$id": "urn:example:line", "type": "object"}},
         "properties": {"customer": {"$ref": "common/customer.json"},
                        "lines": {"items": {"$ref": "urn:example:line"}},
                        "self": {"$ref": "#/$defs/line"}}},
        **{"common/customer.json": {"properties": {"address": {"$ref": "../address.json"}}},
           "address.json": {"type": "object"}},
    )
    loaded = load_config(config, environ={})
    assert loaded is not None


@pytest.mark.parametrize("content", ["5", '"a string"', "[1, 2]"])
def test_schema_file_that_is_not_an_object(tmp_path: Path, content: str) -> None:
    config = _setup(tmp_path, {})
    (tmp_path / "schemas" / "order.json").write_text(content)
    problems = _problems(config)
    assert len(problems) == 1 and "is not a valid JSON Schema" in problems[0]
