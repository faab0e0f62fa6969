"""`seamwatch check` and OpenAPI contracts (issue 11, item 2): a document that is not valid
OpenAPI 3.0/3.1 is reported at its `openapi.spec` key, an unknown operation at its line (the
`openapi.operation` key, or the step's `path` when no operation matches it); valid ones pass, and
a document at a URL is left to the first run (never fetched by `check`)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from seamwatch.config import ConfigError, load_config
from tests.probes.http.canned import CannedServer, http_response
from tests.probes.http.openapi.docs import CUSTOMERS_30, customers_31
from tests.support.cli import run_cli

CONFIG = """\
    integrations:
      - name: crm
        base_url: http://127.0.0.1:9
        openapi: {spec: api.yaml}
        probes:
          - name: customers
            steps:
              - name: list
                path: /v1/customers
              - name: one
                path: "/v1/customers/{{ id }}"
              - name: named
                path: /v1/customers
                openapi: {operation: %(operation)s}
              - name: health
                path: /healthz
                openapi: false
"""
INTEGRATION = "integrations[crm]"
STEPS = f"{INTEGRATION}.probes[customers].steps"


def _write(folder: Path, spec: str = CUSTOMERS_30, operation: str = "listCustomers",
           config: str = CONFIG) -> Path:
    (folder / "api.yaml").write_text(spec)
    path = folder / "seamwatch.yaml"
    path.write_text(textwrap.dedent(config) % {"operation": operation})
    return path


def _problems(config: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(config, environ={})
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize("spec", [CUSTOMERS_30, json.dumps(customers_31())], ids=["3.0", "3.1"])
def test_a_valid_document_and_known_operations_pass(tmp_path: Path, spec: str) -> None:
    config = load_config(_write(tmp_path, spec), environ={})
    steps = config.integrations[0].probes[0].steps  # type: ignore[attr-defined]
    assert steps[2].openapi.operation == "listCustomers"
    assert steps[3].openapi is False


def test_an_unknown_operation_is_reported_at_its_line(tmp_path: Path) -> None:
    assert _problems(_write(tmp_path, operation="listCustomer")) == [
        f"14:34: {STEPS}[named].openapi.operation: no operation `listCustomer` in api.yaml "
        "(did you mean `listCustomers`?)"]


def test_a_path_no_operation_matches_is_reported_at_the_path(tmp_path: Path) -> None:
    config = CONFIG.replace("path: /v1/customers\n              - name: one",
                            "path: /v1/orders\n              - name: one")
    assert _problems(_write(tmp_path, config=config)) == [
        f"9:19: {STEPS}[list].path: no operation in api.yaml matches GET /v1/orders; name one "
        "with `openapi: {operation: ...}` or set `openapi: false` on this step"]


INVALID: list[tuple[str, str, str]] = [
    ("swagger 2", "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths: {}\n",
     "expected an OpenAPI 3.0 or 3.1 document, found a Swagger 2.0 document"),
    ("not yaml", "openapi: [3.0.3\n", "not YAML or JSON"),
    ("bad response", CUSTOMERS_30.replace("description: one customer", "summary: one customer"),
     "not a valid OpenAPI 3.0 document at paths./customers/{id}.get.responses.200: "
     "'description' is a required property"),
    ("remote ref", CUSTOMERS_30.replace('"#/components/schemas/CustomerList"',
                                        "https://api.example.com/list.json"),
     "$ref https://api.example.com/list.json points outside the document"),
]


@pytest.mark.parametrize(("spec", "says"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_document_is_reported_at_the_spec_key(
    tmp_path: Path, spec: str, says: str
) -> None:
    problems = _problems(_write(tmp_path, spec))
    assert len(problems) == 1, problems
    prefix = f"4:21: {INTEGRATION}.openapi.spec: OpenAPI document api.yaml: "
    assert problems[0].startswith(prefix + says), problems


def test_a_missing_document_is_reported(tmp_path: Path) -> None:
    config = _write(tmp_path)
    (tmp_path / "api.yaml").unlink()
    problems = _problems(config)
    assert problems == [f"4:21: {INTEGRATION}.openapi.spec: OpenAPI document api.yaml not found "
                        f"(looked for {tmp_path / 'api.yaml'})"]


def test_an_operation_without_any_document_is_reported(tmp_path: Path) -> None:
    config = CONFIG.replace("        openapi: {spec: api.yaml}\n", "")
    problems = _problems(_write(tmp_path, config=config))
    assert problems == [f"13:22: {STEPS}[named].openapi: no OpenAPI document to check against: "
                        "set `openapi.spec` here or `openapi: {spec: ...}` on the integration"]


def test_check_leaves_a_spec_url_alone(tmp_path: Path) -> None:
    with CannedServer(http_response(200, b"{}")) as host:
        config = CONFIG.replace("openapi: {spec: api.yaml}",
                                f"openapi: {{spec: '{host.url}/openapi.json'}}")
        result = run_cli(["check", "-c", str(_write(tmp_path, config=config))])
        assert host.connections == 0
    assert result.returncode == 0, result.stderr


def test_check_cli_exit_code_and_line(tmp_path: Path) -> None:
    config = _write(tmp_path, operation="nope")
    result = run_cli(["check", "-c", str(config)])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{config}:14:34: {STEPS}[named].openapi.operation: no operation `nope`" in result.stderr


