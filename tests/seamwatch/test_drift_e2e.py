"""Drift end to end: a real server on loopback whose responses change shape mid-test, probed by
`seamwatch once` (in process; each call loads the baselines from the database and saves them),
and `seamwatch baseline` through the command line entry point. Each change makes exactly one
drift event with its rule and level, the run gets the status the policy asks for, and
`baseline accept` makes runs pass again."""

from __future__ import annotations

import asyncio
import copy
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.redact import Redactor
from probes.result import ProbeResult
from seamwatch.cli import main
from seamwatch.config import load_config
from seamwatch.once import run_once
from storage import baselines
from storage.database import open_store
from tests.support.cli import ServeProcess, wait_until
from tests.support.servers import UvicornThread

CANARY = "canary-5eam-dr1ft-c4n4ry"
LEARN_RUNS = 3
CUSTOMER = {"id": 7, "email": f"{CANARY}@example.test", "name": CANARY, "tier": "gold"}
BODY: dict[str, Any] = {"data": [CUSTOMER, {**CUSTOMER, "id": 8}], "has_more": False}


class ShapeShifter:
    def __init__(self) -> None:
        self.body: Any = copy.deepcopy(BODY)
        self.app = Starlette(routes=[Route("/customers", self.customers)])

    async def customers(self, request: Request) -> JSONResponse:
        return JSONResponse(self.body)


@pytest.fixture
def api() -> Iterator[tuple[ShapeShifter, str]]:
    shifter = ShapeShifter()
    with UvicornThread(shifter.app) as server:
        yield shifter, server.url


def _config(folder: Path, url: str, on_breaking: str = "fail") -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///drift.db"}}
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s, drift: {{learn_runs: {LEARN_RUNS}}}}}
integrations:
  - name: crm
    base_url: {url}
    probes:
      - name: customers
        drift: {{on_breaking: {on_breaking}}}
        steps:
          - {{name: list, path: /customers}}
""")
    return path


def _once(config_path: Path) -> ProbeResult:
    config = load_config(config_path)
    return asyncio.run(run_once(config, config.entries, Redactor(config.secrets)))[0]


def _drift_events(config_path: Path) -> list[tuple[str | None, str | None, str | None]]:
    store = open_store(load_config(config_path).storage_url)
    try:
        found = baselines.events(store, "crm", "customers")
    finally:
        store.close()
    return [(e.rule, e.level, e.path) for e in reversed(found) if e.kind == "drift"]


def _learn(config_path: Path) -> None:
    for _ in range(LEARN_RUNS):
        assert _once(config_path).status == "ok"


def _without(key: str, **extra: Any) -> dict[str, Any]:
    item = {k: v for k, v in CUSTOMER.items() if k != key}
    return {**item, **extra}


CHANGES = [  # (name, changed customer, rule, level)
    ("field removed", _without("name"), "required_property_removed", "breaking"),
    ("field renamed", _without("email", mail="x@example.test"), "required_property_removed",
     "breaking"),
    ("type changed", {**CUSTOMER, "id": "7"}, "type_changed", "breaking"),
    ("became null", {**CUSTOMER, "email": None}, "became_nullable", "breaking"),
    ("new field", {**CUSTOMER, "phone": "555"}, "property_added", "info"),
]


@pytest.mark.parametrize(("changed", "rule", "level"), [c[1:] for c in CHANGES],
                         ids=[c[0] for c in CHANGES])
def test_each_change_makes_one_event_and_accept_passes_again(
        api: tuple[ShapeShifter, str], tmp_path: Path, changed: dict[str, Any], rule: str,
        level: str) -> None:
    shifter, url = api
    config_path = _config(tmp_path, url)
    _learn(config_path)
    shifter.body = {"data": [changed, {**changed}], "has_more": False}
    first, second = _once(config_path), _once(config_path)
    if level == "breaking":
        assert (first.status, first.category, first.reason) == ("failed", "schema",
                                                                f"drift_{rule}")
        assert first.message is not None and "$.data[*]." in first.message
        assert second.status == "failed"
    else:
        assert first.status == second.status == "ok"
    events = _drift_events(config_path)
    assert len(events) == 1 and events[0][:2] == (rule, level), events

    assert main(["baseline", "accept", "crm/customers", "-c", str(config_path)]) == 0
    assert _once(config_path).status == "ok"
    assert _drift_events(config_path) == events  # nothing new after accepting
    store = open_store(load_config(config_path).storage_url)
    try:
        kinds = [e.kind for e in baselines.events(store, "crm", "customers")]
    finally:
        store.close()
    assert kinds[0] == "accepted" and "learned" in kinds


@pytest.mark.parametrize(("on_breaking", "status"),
                         [("fail", "failed"), ("degrade", "degraded"), ("record", "ok")])
def test_the_policy_sets_the_run_status(api: tuple[ShapeShifter, str], tmp_path: Path,
                                        on_breaking: str, status: str) -> None:
    shifter, url = api
    config_path = _config(tmp_path, url, on_breaking)
    _learn(config_path)
    shifter.body = {"data": [{**CUSTOMER, "email": None}], "has_more": False}
    result = _once(config_path)
    assert result.status == status
    if status == "degraded":
        assert result.degraded_reason is not None
        assert "$.data[*].email: became nullable" in result.degraded_reason
    assert _drift_events(config_path) == [("became_nullable", "breaking", "$.data[*].email")]


def test_baseline_commands_and_no_values_stored(
        api: tuple[ShapeShifter, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shifter, url = api
    config_path = _config(tmp_path, url)
    assert main(["baseline", "list", "-c", str(config_path)]) == 0
    assert "no learned baselines yet" in capsys.readouterr().out
    _once(config_path)
    assert main(["baseline", "list", "-c", str(config_path)]) == 0
    assert f"learning 1/{LEARN_RUNS}" in capsys.readouterr().out
    _learn(config_path)
    assert main(["baseline", "accept", "crm/customers/list", "-c", str(config_path)]) == 1
    shifter.body = {"data": [{**CUSTOMER, "id": "x"}], "has_more": False}
    _once(config_path)
    capsys.readouterr()
    assert main(["baseline", "show", "crm/customers/list", "-c", str(config_path)]) == 0
    shown = capsys.readouterr().out
    assert "$.data[*].email" in shown and "frozen" in shown
    assert "- $.data[*].id" in shown and "+ $.data[*].id" in shown
    assert main(["baseline", "show", "crm/nope", "-c", str(config_path)]) == 2
    assert main(["baseline", "reset", "crm/customers", "-c", str(config_path)]) == 0
    assert _once(config_path).status == "ok"  # learning again
    db = sqlite3.connect(tmp_path / "drift.db")
    dumped = "\n".join(db.iterdump())
    db.close()
    assert CANARY not in dumped and "email" in dumped
    assert json.dumps(CANARY) not in capsys.readouterr().out


def _last_run(db: Path) -> tuple[int, str | None] | None:
    if not db.exists():
        return None
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return conn.execute("select id, reason from runs order by started_ms desc, id desc"
                                " limit 1").fetchone()
        except sqlite3.OperationalError:
            return None


def _frozen(db: Path) -> bool:
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return bool(conn.execute("select frozen from drift_baselines").fetchone()[0])
        except (sqlite3.OperationalError, TypeError):
            return False


def test_serve_learns_fails_on_drift_and_takes_an_accept(
        api: tuple[ShapeShifter, str], tmp_path: Path) -> None:
    """`serve` keeps its baselines in the database and takes `baseline accept` run by the CLI
    while it runs (within its sync interval)."""
    shifter, url = api
    config_path = _config(tmp_path, url)
    config_path.write_text(config_path.read_text().replace(
        "defaults: {", "defaults: {interval: 200ms, "))
    db = tmp_path / "drift.db"
    with ServeProcess(config_path) as serve:
        serve.wait_for_log(r"serving 1 probes")
        wait_until(lambda: _frozen(db), what="a frozen baseline")
        shifter.body = {"data": [{**CUSTOMER, "tier": 3}], "has_more": False}
        wait_until(lambda: (_last_run(db) or (0, ""))[1] == "drift_type_changed",
                   what="a run failed by drift")
        wait_until(lambda: _drift_events(config_path), what="the drift event saved")
        assert main(["baseline", "accept", "crm/customers", "-c", str(config_path)]) == 0
        accepted_after = _last_run(db)
        assert accepted_after is not None
        wait_until(lambda: (_last_run(db) or (0, ""))[0] > accepted_after[0]
                   and (_last_run(db) or (0, "x"))[1] is None, timeout=30,
                   what="runs passing again after the accept")
        assert serve.terminate() == 0
    # Accepting merges the shapes (tier: integer|string); once the old type stays away for
    # learn_runs runs, a type_narrowed info event may follow. Nothing else is recorded.
    events = _drift_events(config_path)
    assert events[0] == ("type_changed", "breaking", "$.data[*].tier")
    assert events[1:] in ([], [("type_narrowed", "info", "$.data[*].tier")])
