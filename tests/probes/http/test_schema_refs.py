"""JSON Schema `$ref`s (issue 9, item 1): local files resolve relative to the file that refers to
them; a reference to anything else is a `config` failure without a single connection, even to a
server that would answer or one that never does; validation leaves the event loop free."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import probes.http.exchange as exchange_module
from probes.http.exchange import run_http_attempt
from probes.http.schemas import check_schema, ref_problems
from probes.run import run_probe
from tests.probes.conftest import MakeRuntime, http_probe, policy, step
from tests.probes.http.canned import CannedServer, http_response
from tests.support.servers import RawTcpServer, UvicornThread

SERVED = json.dumps({"type": "object", "properties": {"n": {"type": "string"}}}).encode()


@pytest.fixture
def schema_host() -> Iterator[CannedServer]:
    """A loopback server that WOULD serve a schema, so a test sees whether anyone asked."""
    with CannedServer(http_response(200, SERVED, [("Content-Type", "application/json")])) as host:
        yield host


def _write(path: Path, schema: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))
    return path


def _remote(url: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"data": {"$ref": url}}}


# ------------------------------------------------------------------------------ remote refused


async def test_remote_ref_is_a_config_failure_without_a_request(
    api_server: UvicornThread, make_rt: MakeRuntime, tmp_path: Path, schema_host: CannedServer,
) -> None:
    remote = f"{schema_host.url}/item.json"
    _write(tmp_path / "items.json", _remote(remote))
    probe = http_probe(step("/v1/items", expect={"schema": "items.json"}))
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    failure = attempt.failure
    assert failure is not None and (failure.category, failure.reason) == ("config", "remote_ref")
    assert remote in failure.message and "not a local file" in failure.message
    assert schema_host.connections == 0


@pytest.mark.timeout(60)
async def test_ref_to_a_server_that_never_answers_does_not_freeze_the_run(
    api_server: UvicornThread, make_rt: MakeRuntime, tmp_path: Path,
    never_answer_server: RawTcpServer,
) -> None:
    _write(tmp_path / "items.json", _remote(f"{never_answer_server.url}/s.json"))
    probe = http_probe(step("/v1/items", expect={"schema": "items.json"}), timeout="5s")
    result = await run_probe(make_rt(api_server.url), probe, policy(probe))
    assert (result.category, result.reason) == ("config", "remote_ref")
    assert result.attempts == 1  # config failures are not retried


async def test_remote_ref_the_scan_cannot_see_is_refused_by_the_registry(
    api_server: UvicornThread, make_rt: MakeRuntime, tmp_path: Path, schema_host: CannedServer,
) -> None:
    # A property named `default` looks like the `default` keyword (whose value is data), so the
    # scan skips it; resolution at validation time still refuses to fetch.
    remote = f"{schema_host.url}/item.json"
    schema = {"type": "object", "properties": {"data": {"type": "array"},
                                               "default": {"$ref": remote}}}
    _write(tmp_path / "items.json", schema)
    assert ref_problems(tmp_path / "items.json", schema) == []
    server = CannedServer(http_response(200, b'{"data": [], "default": {}}'))
    with server:
        probe = http_probe(step("/", expect={"schema": "items.json"}))
        attempt = await run_http_attempt(make_rt(server.url), probe)
    failure = attempt.failure
    assert failure is not None and (failure.category, failure.reason) == ("config", "remote_ref")
    assert remote in failure.message
    assert schema_host.connections == 0


def test_remote_ref_in_a_referenced_local_file_is_found(tmp_path: Path) -> None:
    _write(tmp_path / "common" / "money.json", {"$defs": {"amount": {
        "$ref": "http://127.0.0.1:9/amount.json"}}})
    root = _write(tmp_path / "order.json", {"properties": {
        "total": {"$ref": "common/money.json#/$defs/amount"}}})
    failure = check_schema(root, {"total": 1})
    assert failure is not None and (failure.category, failure.reason) == ("config", "remote_ref")
    assert "http://127.0.0.1:9/amount.json" in failure.message


def test_relative_ref_under_a_remote_id_is_remote(tmp_path: Path) -> None:
    root = _write(tmp_path / "order.json", {
        "$id": "http://127.0.0.1:9/order.json", "properties": {"c": {"$ref": "c.json"}}})
    failure = check_schema(root, {"c": 1})
    assert failure is not None and failure.reason == "remote_ref"
    assert "c.json (http://127.0.0.1:9/c.json)" in failure.message


# ---------------------------------------------------------------------------- local resolution


@pytest.fixture
def order_schema(tmp_path: Path) -> Path:
    schemas = tmp_path / "schemas"
    _write(schemas / "address.json", {"type": "object", "required": ["city"],
                                      "properties": {"city": {"type": "string"}}})
    _write(schemas / "common" / "customer.json", {
        "type": "object", "properties": {"address": {"$ref": "../address.json"}}})
    _write(schemas / "common" / "money.json", {"$defs": {"amount": {"type": "integer",
                                                                    "minimum": 0}}})
    return _write(schemas / "order.json", {
        "type": "object",
        "properties": {"customer": {"$ref": "common/customer.json"},
                       "total": {"$ref": "common/money.json#/$defs/amount"},
                       "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}},
        "$defs": {"line": {"type": "object", "required": ["sku"]}},
    })


@pytest.mark.parametrize(("doc", "pointer"), [
    ({"customer": {"address": {"city": "Oslo"}}, "total": 5, "lines": [{"sku": "a"}]}, None),
    ({"customer": {"address": {"city": 5}}}, "/customer/address/city"),
    ({"customer": {"address": {}}}, "/customer/address"),
    ({"total": -1}, "/total"),
    ({"lines": [{"sku": "a"}, {}]}, "/lines/1"),
])
def test_local_refs_resolve_relative_to_the_referring_file(
    order_schema: Path, doc: dict[str, Any], pointer: str | None,
) -> None:
    failure = check_schema(order_schema, doc)
    if pointer is None:
        assert failure is None, failure
        return
    assert failure is not None and (failure.category, failure.reason) == ("schema",
                                                                          "schema_violation")
    assert f"at {pointer}: " in failure.message


def test_draft7_root_ref_and_file_uri(tmp_path: Path) -> None:
    _write(tmp_path / "defs.json", {"definitions": {"n": {"type": "integer"}}})
    draft7 = _write(tmp_path / "d7.json", {
        "$schema": "http://json-schema.org/draft-07/schema#", "$ref": "defs.json#/definitions/n"})
    assert check_schema(draft7, 3) is None
    assert check_schema(draft7, "x") is not None
    absolute = _write(tmp_path / "abs.json", {"$ref": (tmp_path / "defs.json").as_uri()
                                              + "#/definitions/n"})
    assert check_schema(absolute, 3) is None


def test_embedded_resources_are_not_remote(tmp_path: Path) -> None:
    root = _write(tmp_path / "e.json", {
        "$id": "urn:example:root",
        "$defs": {"money": {"$id": "urn:example:money", "type": "integer"}},
        "properties": {"n": {"$ref": "urn:example:money"}},
    })
    assert ref_problems(root, json.loads(root.read_text())) == []
    assert check_schema(root, {"n": 1}) is None
    failure = check_schema(root, {"n": "x"})
    assert failure is not None and failure.reason == "schema_violation"


@pytest.mark.parametrize(("schema", "needle"), [
    ({"$ref": "missing.json"}, "missing.json"),
    ({"properties": {"n": {"$ref": "defs.json#/definitions/nope"}}}, "/definitions/nope"),
])
def test_unresolvable_local_ref_is_a_config_failure(
    tmp_path: Path, schema: dict[str, Any], needle: str,
) -> None:
    _write(tmp_path / "defs.json", {"definitions": {"n": {"type": "integer"}}})
    root = _write(tmp_path / "s.json", schema)
    failure = check_schema(root, {"n": 1})
    assert failure is not None
    assert (failure.category, failure.reason) == ("config", "unresolved_ref")
    assert needle in failure.message


# -------------------------------------------------------------------------- the loop stays free


async def test_validation_of_a_large_body_leaves_the_event_loop_free(
    api_server: UvicornThread, make_rt: MakeRuntime, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _write(tmp_path / "big.json", {"type": "array", "items": {"type": "object",
                                                              "required": ["id"]}})
    big = json.dumps([{"id": i, "name": f"item {i}"} for i in range(50_000)]).encode()
    started, progressed = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}
    real = exchange_module.check_schema

    def watched(path: Path, doc: Any) -> Any:
        seen["thread"] = threading.get_ident()
        started.set()
        # If this ran on the event loop, nothing else could run until it returned: the wait
        # only bounds such a failing run.
        seen["progressed"] = progressed.wait(timeout=10)
        return real(path, doc)

    monkeypatch.setattr(exchange_module, "check_schema", watched)
    other = make_rt(api_server.url)

    async def meanwhile() -> int:
        await asyncio.to_thread(started.wait, 30)
        response = await other.client.get("/v1/items")  # a whole request while validating
        progressed.set()
        return response.status_code

    with CannedServer(http_response(200, big, [("Content-Type", "application/json")])) as srv:
        probe = http_probe(step("/", expect={"schema": "big.json"}), max_body="8MB")
        attempt, status = await asyncio.gather(
            run_http_attempt(make_rt(srv.url), probe), meanwhile())
    assert attempt.failure is None, attempt.failure
    assert status == 200
    assert seen["progressed"] is True
    assert seen["thread"] != threading.get_ident()


def test_schema_file_that_is_not_an_object_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text("5")
    failure = check_schema(path, {})
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "invalid_schema")


def test_schema_nested_too_deeply_is_invalid_not_internal(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"items": ' * 5000 + "{}" + "}" * 5000)
    failure = check_schema(path, [])
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "invalid_schema")
