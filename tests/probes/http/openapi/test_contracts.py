"""OpenAPI contracts end to end (issue 11, item 2): a real loopback API serving the examples of an
OpenAPI document; responses that keep to the document pass; the server switched to a changed
version of the document (a field renamed, a type changed, a status changed...) fails with
`schema`, the reason and the violated JSONPath. OpenAPI 3.0 and 3.1, `$ref`, nullable, oneOf,
readOnly/writeOnly. The documents' `servers:` URL (api.example.com) is never resolved: the
integration's base_url is the loopback server."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from probes.http.exchange import run_http_attempt
from probes.http.openapi import remote
from probes.result import StepStatus
from tests.probes.conftest import MakeRuntime, StaticBearer, http_probe, step
from tests.probes.http.canned import CannedServer, http_response
from tests.probes.http.openapi.docs import customer_list, customers_30, customers_31
from tests.support.openapi_app import OpenApiApp
from tests.support.servers import UvicornThread

VERSIONS = {"3.0": customers_30, "3.1": customers_31}


@pytest.fixture(params=sorted(VERSIONS))
def doc(request: pytest.FixtureRequest) -> dict[str, Any]:
    return VERSIONS[request.param]()


@pytest.fixture
def app(doc: dict[str, Any]) -> OpenApiApp:
    return OpenApiApp(doc)


@pytest.fixture
def server(app: OpenApiApp) -> Iterator[UvicornThread]:
    with UvicornThread(app) as running:
        yield running


@pytest.fixture
def spec_file(tmp_path: Path, doc: dict[str, Any]) -> str:
    (tmp_path / "api.json").write_text(json.dumps(doc))
    return "api.json"


def _list_step(**options: Any) -> dict[str, Any]:
    return step("/v1/customers", openapi={"operation": "listCustomers"}, **options)


# ------------------------------------------------------------------------------------ passing


async def test_responses_that_keep_to_the_document_pass(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str, app: OpenApiApp,
) -> None:
    rt = make_rt(server.url, openapi={"spec": spec_file})
    probe = http_probe(
        step("/v1/customers", name="list", params={"limit": 2}),  # found from method and path
        step("/v1/customers/c_1", name="one"),  # a templated path, under the server's /v1
        step("/v1/customers/search", name="search", params={"q": "a"}),  # concrete first
        _list_step(name="by-id"),
    )
    attempt = await run_http_attempt(rt, probe)
    assert attempt.failure is None, attempt.failure
    assert [s.status for s in attempt.steps] == [StepStatus.OK] * 4
    assert app.requests.count("/v1/customers") == 2


async def test_a_base_url_holding_the_base_path_finds_the_operation(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str,
) -> None:
    rt = make_rt(f"{server.url}/v1", openapi={"spec": spec_file})
    attempt = await run_http_attempt(rt, http_probe(step("/customers/c_2")))
    assert attempt.failure is None, attempt.failure


# ------------------------------------------------------------------------- a changed document

Change = Callable[[dict[str, Any]], None]


def _rename_email(doc: dict[str, Any]) -> None:
    customer_list(doc)[1]["mail"] = customer_list(doc)[1].pop("email")


def _id_to_number(doc: dict[str, Any]) -> None:
    customer_list(doc)[0]["id"] = 1


def _email_null(doc: dict[str, Any]) -> None:
    customer_list(doc)[1]["email"] = None


def _nickname_number(doc: dict[str, Any]) -> None:
    customer_list(doc)[0]["nickname"] = 7


def _contact_fax(doc: dict[str, Any]) -> None:
    customer_list(doc)[1]["contact"] = {"kind": "fax", "number": "+100"}


def _status_201(doc: dict[str, Any]) -> None:
    responses = doc["paths"]["/customers"]["get"]["responses"]
    responses["201"] = responses.pop("200")


def _header_text(doc: dict[str, Any]) -> None:
    doc["components"]["headers"]["TotalCount"]["example"] = "many"


def _header_gone(doc: dict[str, Any]) -> None:
    del doc["components"]["headers"]["TotalCount"]["example"]


def _media_text(doc: dict[str, Any]) -> None:
    content = doc["paths"]["/customers"]["get"]["responses"]["200"]["content"]
    content["text/html"] = content.pop("application/json")


CHANGES: list[tuple[str, Change, str, str]] = [
    ("field renamed", _rename_email, "openapi_body", "body at $.data[1].email: required"),
    ("type changed", _id_to_number, "openapi_body", "body at $.data[0].id: 1 is not of type"),
    ("became null", _email_null, "openapi_body", "body at $.data[1].email: None"),
    ("nullable, wrong type", _nickname_number, "openapi_body", "body at $.data[0].nickname"),
    ("no oneOf branch", _contact_fax, "openapi_body", "$.data[1].contact"),
    ("status changed", _status_201, "openapi_status",
     "listCustomers: status 201 is not a declared response (declared: 200)"),
    ("header type", _header_text, "openapi_header", "listCustomers 200: header X-Total-Count"),
    ("header missing", _header_gone, "openapi_header",
     "required header X-Total-Count is missing"),
    ("media type", _media_text, "openapi_media_type", "content type text/html is not declared"),
]


@pytest.mark.parametrize(("change", "reason", "says"), [c[1:] for c in CHANGES],
                         ids=[c[0] for c in CHANGES])
async def test_a_server_on_a_changed_document_fails_with_the_violated_path(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str, app: OpenApiApp,
    doc: dict[str, Any], change: Change, reason: str, says: str,
) -> None:
    rt = make_rt(server.url)
    probe = http_probe(step("/v1/customers", openapi={"spec": spec_file,
                                                      "operation": "listCustomers"}))
    assert (await run_http_attempt(rt, probe)).failure is None
    second = json.loads(json.dumps(doc))
    change(second)
    app.use(second)
    failure = (await run_http_attempt(rt, probe)).failure
    assert failure is not None
    assert (failure.category, failure.reason) == ("schema", reason)
    assert says in failure.message


async def test_a_declared_error_response_is_checked_too(
    make_rt: MakeRuntime, tmp_path: Path, doc: dict[str, Any],
) -> None:
    (tmp_path / "api.json").write_text(json.dumps(doc))
    body = b'{"detail": "no such customer"}'
    with CannedServer(http_response(404, body, [("Content-Type", "application/problem+json")])
                      ) as server:
        rt = make_rt(server.url, openapi={"spec": "api.json"})
        attempt = await run_http_attempt(rt, http_probe(step("/v1/customers/c_9",
                                                             expect={"status": 404})))
    failure = attempt.failure
    assert failure is not None and failure.reason == "openapi_body"
    assert "getCustomer 404: body at $.title: required property is missing" in failure.message


# ------------------------------------------------------------------------ what is not checked


async def test_a_step_matching_no_operation_is_a_config_failure_before_any_request(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str, app: OpenApiApp,
) -> None:
    rt = make_rt(server.url, openapi={"spec": spec_file})
    attempt = await run_http_attempt(rt, http_probe(step("/v1/orders"),
                                                    step("/v1/customers/c_1", name="skipped")))
    failure = attempt.failure
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "openapi_operation")
    assert "GET /v1/orders" in failure.message
    assert app.requests == []


async def test_openapi_false_leaves_a_step_unchecked(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str, app: OpenApiApp,
    doc: dict[str, Any],
) -> None:
    second = json.loads(json.dumps(doc))
    _id_to_number(second)
    app.use(second)
    rt = make_rt(server.url, openapi={"spec": spec_file})
    unchecked = await run_http_attempt(rt, http_probe(step("/v1/customers", openapi=False)))
    assert unchecked.failure is None
    checked = await run_http_attempt(rt, http_probe(step("/v1/customers")))
    assert checked.failure is not None and checked.failure.reason == "openapi_body"


async def test_an_unknown_operation_id_is_a_config_failure(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str,
) -> None:
    probe = http_probe(step("/v1/customers", openapi={"spec": spec_file,
                                                      "operation": "listClients"}))
    failure = (await run_http_attempt(make_rt(server.url), probe)).failure
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "openapi_operation")
    assert "'listClients'" in failure.message


# ---------------------------------------------------------------------------- remote documents


async def test_a_spec_url_is_fetched_once_with_the_integration_credential_on_its_origin(
    make_rt: MakeRuntime, doc: dict[str, Any],
) -> None:
    app = OpenApiApp(doc, spec=doc)
    with UvicornThread(app) as server:
        rt = make_rt(server.url, credentials=StaticBearer("tok-1"),
                     openapi={"spec": f"{server.url}/openapi.json"})
        for _ in range(3):
            attempt = await run_http_attempt(rt, http_probe(step("/v1/customers")))
            assert attempt.failure is None, attempt.failure
    assert app.requests.count("/openapi.json") == 1
    assert app.authorization["/openapi.json"] == "Bearer tok-1"


async def test_a_spec_url_on_another_origin_gets_no_credential(
    server: UvicornThread, make_rt: MakeRuntime, doc: dict[str, Any],
) -> None:
    elsewhere = OpenApiApp(doc, spec=doc)
    with UvicornThread(elsewhere) as docs_host:
        spec = f"{docs_host.url}/openapi.json?elsewhere"
        rt = make_rt(server.url, credentials=StaticBearer("tok-2"), openapi={"spec": spec})
        attempt = await run_http_attempt(rt, http_probe(step("/v1/customers")))
    assert attempt.failure is None, attempt.failure
    assert elsewhere.requests == ["/openapi.json"]
    assert elsewhere.authorization["/openapi.json"] is None


async def test_a_spec_url_that_cannot_be_fetched_is_a_config_failure(
    server: UvicornThread, make_rt: MakeRuntime, closed_port: int, app: OpenApiApp,
) -> None:
    spec = f"http://127.0.0.1:{closed_port}/openapi.yaml"
    rt = make_rt(server.url, openapi={"spec": spec})
    failure = (await run_http_attempt(rt, http_probe(step("/v1/customers")))).failure
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "openapi_spec")
    assert spec in failure.message
    assert app.requests == []


async def test_a_remote_ref_in_the_document_is_never_fetched(
    server: UvicornThread, make_rt: MakeRuntime, tmp_path: Path, doc: dict[str, Any],
) -> None:
    with CannedServer(http_response(200, b'{"type": "object"}')) as ref_host:
        doc["components"]["schemas"]["Customer"] = {"$ref": f"{ref_host.url}/customer.json"}
        (tmp_path / "api.json").write_text(json.dumps(doc))
        rt = make_rt(server.url, openapi={"spec": "api.json"})
        failure = (await run_http_attempt(rt, http_probe(step("/v1/customers")))).failure
        assert ref_host.connections == 0
    assert failure is not None and (failure.category, failure.reason) == ("config",
                                                                          "openapi_spec")
    assert "points outside the document" in failure.message


async def test_a_head_step_is_checked_against_the_get_operation(
    server: UvicornThread, make_rt: MakeRuntime, spec_file: str,
) -> None:
    rt = make_rt(server.url, openapi={"spec": spec_file})
    attempt = await run_http_attempt(rt, http_probe(step("/v1/customers/c_1", method="HEAD")))
    assert attempt.failure is None, attempt.failure


async def test_a_failed_refresh_keeps_the_document_fetched_before(
    make_rt: MakeRuntime, doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = OpenApiApp(doc, spec=doc)
    with UvicornThread(app) as server:
        rt = make_rt(server.url, openapi={"spec": f"{server.url}/openapi.json"})
        first = await run_http_attempt(rt, http_probe(step("/v1/customers")))
        assert first.failure is None, first.failure
        monkeypatch.setattr(remote, "REFRESH_S", 0.0)
        app.spec = None  # the document's URL now answers 404
        second = await run_http_attempt(rt, http_probe(step("/v1/customers")))
    assert second.failure is None, second.failure
    assert app.requests.count("/openapi.json") == 2
