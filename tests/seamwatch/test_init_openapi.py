"""`seamwatch init --from-openapi` (issue 11, item 2): a starting config with one probe per safe
operation, checked against the document, that passes `seamwatch check` and, against a loopback
API serving the document, `seamwatch once`. The documents' `servers:` URL (api.example.com) is
written, never resolved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from seamwatch.config import load_config
from seamwatch.init_openapi import InitError, plan
from tests.probes.http.openapi.docs import CUSTOMERS_30, customers_30, customers_31
from tests.support.cli import run_cli
from tests.support.openapi_app import OpenApiApp
from tests.support.servers import UvicornThread


def _write(folder: Path, doc: dict[str, Any] | str, name: str = "api.json") -> Path:
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


@pytest.mark.parametrize("make", [customers_30, customers_31], ids=["3.0", "3.1"])
def test_the_written_config_passes_check_and_once_against_the_api(
    tmp_path: Path, make: Any
) -> None:
    doc = make()
    (tmp_path / "specs").mkdir()
    spec = _write(tmp_path / "specs", doc)
    with UvicornThread(OpenApiApp(doc)) as server:
        made = run_cli(["init", "--from-openapi", str(spec), "--base-url", server.url],
                       cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        assert "wrote seamwatch.yaml: 2 probes" in made.stdout
        assert "skipped GET /customers/search: needs query parameter `q`" in made.stdout
        checked = run_cli(["check"], cwd=tmp_path)
        assert checked.returncode == 0, checked.stderr
        ran = run_cli(["once", "--no-store", "--json"], cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    results = json.loads(ran.stdout)
    assert sorted(r["probe"] for r in results) == ["getCustomer", "listCustomers"]
    assert {r["status"] for r in results} == {"ok"}
    config = load_config(tmp_path / "seamwatch.yaml", environ={})
    integration = config.integrations[0]
    assert integration.base_url == f"{server.url}/v1"  # the server URL's base path kept
    assert integration.openapi is not None and integration.openapi.spec == "specs/api.json"


def test_without_base_url_the_documents_server_is_written(tmp_path: Path) -> None:
    spec = _write(tmp_path, CUSTOMERS_30, "api.yaml")
    result = plan(spec, tmp_path / "seamwatch.yaml", None)
    assert result.config["integrations"][0]["base_url"] == "https://api.example.com/v1"
    assert result.skipped == ["DELETE /customers/{id}: not a safe operation",
                              "GET /customers/search: needs query parameter `q`"]


def test_required_parameters_are_filled_from_the_document(tmp_path: Path) -> None:
    doc = customers_31()
    search = doc["paths"]["/customers/search"]["get"]
    search["parameters"] = [
        {"name": "q", "in": "query", "required": True, "schema": {"type": "string"},
         "examples": {"home": {"value": "${HOME}"}}},
        {"name": "X-Tenant", "in": "header", "required": True,
         "schema": {"type": "string", "default": "acme"}},
        {"name": "sort", "in": "query", "required": True,
         "schema": {"type": "string", "enum": ["name", "age"]}},
        {"name": "session", "in": "cookie", "required": False, "schema": {"type": "string"}},
    ]
    spec = _write(tmp_path, doc)
    result = run_cli(["init", "--from-openapi", str(spec), "--base-url", "http://127.0.0.1:9",
                      "-o", "out.yaml"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = load_config(tmp_path / "out.yaml", environ={"HOME": "/root"})
    probe = next(p for p in config.integrations[0].probes if p.name == "searchCustomers")
    step = probe.steps[0]  # type: ignore[attr-defined]
    assert step.params == {"q": "${HOME}", "sort": "name"}  # `$$` in the file: not substituted
    assert step.headers == {"X-Tenant": "acme"}
    assert step.openapi.operation == "searchCustomers"


def _no_safe(doc: dict[str, Any]) -> None:
    for item in doc["paths"].values():
        item.pop("get", None)


def _no_server(doc: dict[str, Any]) -> None:
    doc["servers"] = [{"url": "/v1"}]


ERRORS: list[tuple[str, Any, list[str], str]] = [
    ("invalid document", lambda d: d.pop("info"), [],
     "not a valid OpenAPI 3.0 document: 'info' is a required property"),
    ("no safe operation", _no_safe, [], "no GET operation whose required parameters"),
    ("no absolute server", _no_server, [], "no absolute server URL (servers[0].url): pass "
     "--base-url URL"),
    ("bad base url", lambda d: None, ["--base-url", "ftp://x"], "is not an http:// or https://"),
    ("output exists", lambda d: None, ["-o", "api.json"], "api.json exists; choose another "
     "--output or pass --force"),
]


@pytest.mark.parametrize(("change", "extra", "says"), [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_what_cannot_be_done_exits_2_with_one_line(
    tmp_path: Path, change: Any, extra: list[str], says: str
) -> None:
    doc = customers_30()
    change(doc)
    spec = _write(tmp_path, doc)
    result = run_cli(["init", "--from-openapi", str(spec), *extra], cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_plan_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InitError, match="cannot read"):
        plan(tmp_path / "nope.yaml", tmp_path / "seamwatch.yaml", None)
