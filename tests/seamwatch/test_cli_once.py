"""`seamwatch check`, `schema`, `once` and `status` through the real command line against a real
test API on loopback."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

from tests.support.cli import run_cli
from tests.support.servers import UvicornThread
from tests.support.testapi import TestApi


@pytest.fixture(scope="module")
def api_url() -> Iterator[str]:
    with UvicornThread(TestApi().app) as server:
        yield server.url


def _config(folder: Path, api_url: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///results.db"}}
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s}}
integrations:
  - name: shop
    base_url: {api_url}
    probes:
      - name: list-items
        steps:
          - name: list
            path: /v1/items
            expect: {{status: 200, json: {{"$.data": {{type: array}}}}}}
            save: {{first: "$.data[0].id"}}
          - name: get
            path: /v1/items/{{{{ first }}}}
            expect: {{json: {{"$.id": {{equals: "{{{{ first }}}}"}}}}}}
      - name: broken
        steps:
          - {{name: boom, path: /status/500}}
""")
    return path


def test_check_prints_a_summary_and_exits_0(tmp_path: Path, api_url: str) -> None:
    result = run_cli(["check", "-c", str(_config(tmp_path, api_url))])
    assert result.returncode == 0, result.stderr
    assert "shop/list-items" in result.stdout and "shop/broken" in result.stdout


def test_check_reports_problems_with_positions_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("integrations:\n  - name: a\n    base_url: http://127.0.0.1:1\n"
                    "    probes:\n      - name: p\n        intervl: 5s\n"
                    "        steps: [{name: s, path: /}]\n")
    result = run_cli(["check", "-c", str(path)])
    assert result.returncode == 2
    assert f"{path}:6:9: integrations[a].probes[p].intervl: unknown key `intervl`; " \
           "did you mean `interval`?" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_from_environment_variable(tmp_path: Path, api_url: str) -> None:
    config = _config(tmp_path, api_url)
    result = run_cli(["check"], cwd=tmp_path.parent, env={"SEAMWATCH_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    missing = run_cli(["check"], cwd=tmp_path)  # falls back to ./seamwatch.yaml, which exists
    assert missing.returncode == 0, missing.stderr


def test_schema_is_a_json_schema_that_accepts_a_real_config() -> None:
    result = run_cli(["schema"])
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {"integrations": [{"name": "a", "base_url": "http://x",
                              "probes": [{"name": "p", "steps": [{"name": "s", "path": "/"}]}]}]}
    assert not list(validator.iter_errors(good))
    assert list(validator.iter_errors({**good, "integratoins": []}))


def test_once_table_exit_code_and_storage(tmp_path: Path, api_url: str) -> None:
    config = _config(tmp_path, api_url)
    result = run_cli(["once", "-c", str(config)])
    assert result.returncode == 1, result.stderr  # one probe failed
    lines = result.stdout.splitlines()
    broken = next(line for line in lines if "broken" in line)
    assert "failed" in broken and "server_error" in broken and "http_500" in broken
    assert "boom" in broken
    ok = next(line for line in lines if "list-items" in line)
    assert " ok " in ok
    with sqlite3.connect(tmp_path / "results.db") as db:
        assert db.execute("select count(*) from runs").fetchone()[0] == 2
        assert db.execute("select count(*) from run_steps").fetchone()[0] == 3


def test_once_json_and_junit(tmp_path: Path, api_url: str) -> None:
    config = _config(tmp_path, api_url)
    junit = tmp_path / "report.xml"
    result = run_cli(["once", "-c", str(config), "--json", "--junit", str(junit)])
    assert result.returncode == 1
    data = {d["probe"]: d for d in json.loads(result.stdout)}
    assert data["broken"]["category"] == "server_error"
    assert data["broken"]["steps"][0]["http_status"] == 500
    steps = data["list-items"]["steps"]
    assert [s["name"] for s in steps] == ["list", "get"]
    assert all(s["status"] == "ok" and s["http_status"] == 200 for s in steps)
    assert steps[0]["phases"]["ttfb_ms"] is not None
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"


def test_once_probe_selection(tmp_path: Path, api_url: str) -> None:
    config = _config(tmp_path, api_url)
    ok = run_cli(["once", "-c", str(config), "--probe", "shop/list-items", "--json"])
    assert ok.returncode == 0, ok.stderr
    assert [d["probe"] for d in json.loads(ok.stdout)] == ["list-items"]
    unknown = run_cli(["once", "-c", str(config), "--probe", "shop/nope"])
    assert unknown.returncode == 2
    assert "--probe shop/nope: no such probe" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_once_with_invalid_config_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_text("integrations: []\n")
    result = run_cli(["once", "-c", str(path)])
    assert result.returncode == 2
    assert str(path) in result.stderr and "Traceback" not in result.stderr


def test_status_after_once(tmp_path: Path, api_url: str) -> None:
    config = _config(tmp_path, api_url)
    assert run_cli(["once", "-c", str(config)]).returncode == 1
    result = run_cli(["status", "-c", str(config), "--json"])
    assert result.returncode == 0, result.stderr  # nothing is firing: `once` does not alert
    shown = json.loads(result.stdout)
    assert shown["expiries"] == []  # plain HTTP, no auth: nothing expires
    rows = {r["probe"]: r for r in shown["probes"]}
    assert rows["broken"]["status"] == "failed" and rows["broken"]["category"] == "server_error"
    assert rows["list-items"]["status"] == "ok"
    assert rows["list-items"]["uptime_24h"] == 100.0 and rows["broken"]["uptime_24h"] == 0.0
    assert rows["list-items"]["p95_latency_ms_1h"] is not None
    table = run_cli(["status", "-c", str(config)])
    assert "shop" in table.stdout and "broken" in table.stdout


def test_python_dash_m_and_help() -> None:
    result = run_cli(["--help"])
    assert result.returncode == 0
    for command in ("check", "schema", "once", "serve", "status", "test-email"):
        assert command in result.stdout
