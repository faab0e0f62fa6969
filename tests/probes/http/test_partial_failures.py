"""Partial failures of `http` steps against a real loopback server: `critical: false` steps make
the run degraded, `expect.items` counts failed items of batch responses (207 Multi-Status too),
and GraphQL `errors` in a 200 fail the step (probes/http/items.py, probes/http/graphql.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from probes.http.items import limit
from probes.kinds.http import HttpProbe
from probes.registry import kind_of
from probes.result import Attempt, RunStatus, StepStatus
from probes.run import run_probe
from tests.probes.conftest import MakeRuntime, http_probe, policy, step
from tests.support.servers import UvicornThread


def _batch(statuses: list[str]) -> dict[str, Any]:
    return {"results": [{"id": f"op_{i}", "status": s} for i, s in enumerate(statuses)]}


class PartialApi:
    """`/batch/{n_failed}/{n_total}` a batch answer (207 when any item failed), `/graphql` a
    GraphQL endpoint whose answer the query picks, `/status/{code}`, `/ok`."""

    def __init__(self) -> None:
        self.graphql_requests: list[dict[str, Any]] = []
        self.app = Starlette(routes=[
            Route("/batch/{failed:int}/{total:int}", self.batch),
            Route("/graphql", self.graphql, methods=["POST"]),
            Route("/status/{code:int}", self.status),
            Route("/ok", self.ok),
        ])

    async def batch(self, request: Request) -> Response:
        failed, total = request.path_params["failed"], request.path_params["total"]
        body = _batch(["error"] * failed + ["ok"] * (total - failed))
        return JSONResponse(body, status_code=207 if failed else 200)

    async def graphql(self, request: Request) -> Response:
        sent = await request.json()
        self.graphql_requests.append(sent)
        query = sent.get("query", "")
        if "partial" in query:
            return JSONResponse({"data": {"me": {"id": "u1", "plan": None}},
                                 "errors": [{"message": "plan service down",
                                             "path": ["me", "plan"]}]})
        if "broken" in query:
            return JSONResponse({"data": None, "errors": [{"message": "Cannot query field"},
                                                          {"message": "second"}]})
        if "bare" in query:
            return JSONResponse({"errors": [{"message": "syntax error"}]})
        if "nonsense" in query:
            return JSONResponse(["not", "graphql"])
        return JSONResponse({"data": {"echo": sent.get("variables")}})

    async def status(self, request: Request) -> Response:
        return JSONResponse({"status": "x"}, status_code=request.path_params["code"])

    async def ok(self, request: Request) -> Response:
        return JSONResponse({"ok": True})


@pytest.fixture(scope="module")
def partial_api() -> Iterator[tuple[PartialApi, str]]:
    api = PartialApi()
    with UvicornThread(api.app) as server:
        yield api, server.url


# ---------------------------------------------------------------------------- critical: false


async def test_a_non_critical_failure_degrades_the_run(
        make_rt: MakeRuntime, partial_api: tuple[PartialApi, str]) -> None:
    _, url = partial_api
    probe = http_probe(step("/ok", "primary"),
                       step("/status/503", "recommendations", critical=False),
                       step("/ok", "after"), retries=2)
    result = await run_probe(make_rt(url), probe, policy(probe))
    assert result.status is RunStatus.DEGRADED
    assert result.failure is None and result.attempts == 1  # passed: not retried
    assert result.degraded_reason == ("step recommendations failed (server_error/http_503), "
                                      "not critical")
    steps = {s.name: s for s in result.steps}
    assert [s.status for s in result.steps] == [StepStatus.OK, StepStatus.FAILED, StepStatus.OK]
    failure = steps["recommendations"].failure
    assert failure is not None and (failure.category, failure.reason) == ("server_error",
                                                                          "http_503")


async def test_a_critical_failure_still_fails_the_run(
        make_rt: MakeRuntime, partial_api: tuple[PartialApi, str]) -> None:
    _, url = partial_api
    probe = http_probe(step("/status/503", "optional", critical=False),
                       step("/status/500", "primary"), retries=0)
    result = await run_probe(make_rt(url), probe, policy(probe))
    assert result.status is RunStatus.FAILED
    assert (result.category, result.reason, result.failed_step) == ("server_error", "http_500",
                                                                    "primary")


# ------------------------------------------------------------------------------ expect.items

OK_STATUS = {"$.status": {"equals": "ok"}}


@pytest.mark.parametrize(("path", "items", "expected"), [
    ("/batch/0/10", {"max_failed": 0}, None),
    ("/batch/1/10", {"max_failed": 0}, "1 of 10 items failed (at most 0 may)"),
    ("/batch/2/10", {"max_failed": 2}, None),
    ("/batch/1/20", {"max_failed": "5%"}, None),
    ("/batch/2/20", {"max_failed": "5%"}, "2 of 20 items failed (at most 1 may)"),
    ("/batch/5/10", {"max_failed": 0},
     "5 of 10 items failed (at most 0 may): $.results[0]: $.status: expected \"ok\", got "
     "\"error\"; $.results[1]: $.status: expected \"ok\", got \"error\"; $.results[2]: "
     "$.status: expected \"ok\", got \"error\"; and 2 more"),
    ("/batch/0/0", {"max_failed": 0}, None),
])
async def test_failed_items_of_a_batch(make_rt: MakeRuntime,
                                       partial_api: tuple[PartialApi, str], path: str,
                                       items: dict[str, Any], expected: str | None) -> None:
    _, url = partial_api
    probe = http_probe(step(path, expect={"status": [200, 207], "items": {
        "path": "$.results[*]", "ok": OK_STATUS, **items}}))
    attempt = await kind_attempt(make_rt, url, probe)
    if expected is None:
        assert attempt.failure is None, attempt.failure
        return
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("assertion", "partial_failure")
    assert attempt.failure.message.startswith(expected)


async def kind_attempt(make_rt: MakeRuntime, url: str, probe: HttpProbe) -> Attempt:
    return await kind_of(probe).attempt(make_rt(url), probe, Attempt())


@pytest.mark.parametrize(("items", "expected"), [
    ({"path": "$.outcomes[*]", "ok": OK_STATUS}, ("schema", "missing_field")),
    ({"path": "$.results", "ok": OK_STATUS}, ("assertion", "partial_failure")),  # its elements
    ({"path": "$.results[*]", "ok": {"$.code": {"exists": True}}},
     ("assertion", "partial_failure")),
    ({"path": "$.results[*]", "ok": {"$.code": {"exists": False}, "$.id": {"matches": "^op_"}},
      "max_failed": 3}, None),
])
async def test_item_paths_and_matchers(make_rt: MakeRuntime, partial_api: tuple[PartialApi, str],
                                       items: dict[str, Any],
                                       expected: tuple[str, str] | None) -> None:
    _, url = partial_api
    probe = http_probe(step("/batch/3/4", expect={"status": "2xx", "items": items}))
    attempt = await kind_attempt(make_rt, url, probe)
    got = None if attempt.failure is None else (attempt.failure.category, attempt.failure.reason)
    assert got == expected, attempt.failure


async def test_a_status_outside_the_expectation_is_reported_before_the_items(
        make_rt: MakeRuntime, partial_api: tuple[PartialApi, str]) -> None:
    _, url = partial_api
    probe = http_probe(step("/batch/1/3", expect={"status": 200, "items": {
        "path": "$.results[*]", "ok": OK_STATUS}}))
    attempt = await kind_attempt(make_rt, url, probe)
    assert attempt.failure is not None and attempt.failure.reason == "status_mismatch"


@pytest.mark.parametrize(("max_failed", "total", "allowed"), [
    (0, 10, 0), (3, 10, 3), ("5%", 20, 1), ("5%", 19, 0), ("10%", 10, 1), ("100%", 7, 7),
    ("2.5%", 40, 1),
])
def test_the_limit(max_failed: int | str, total: int, allowed: int) -> None:
    assert limit(max_failed, total) == allowed


@pytest.mark.parametrize("max_failed", [-1, "5", "five%", "101%", True])
def test_bad_max_failed(max_failed: Any) -> None:
    with pytest.raises(ValidationError):
        http_probe(step("/x", expect={"items": {"path": "$.r[*]", "ok": OK_STATUS,
                                                "max_failed": max_failed}}))


# ----------------------------------------------------------------------------------- GraphQL


@pytest.mark.parametrize(("query", "expected"), [
    ("query { me { id } }", None),
    ("query partial { me { id plan } }", ("assertion", "partial_failure",
                                          "1 GraphQL error beside partial data: plan service "
                                          "down (at me.plan)")),
    ("query broken { nope }", ("schema", "graphql_error",
                               "2 GraphQL errors: Cannot query field")),
    ("bare {", ("schema", "graphql_error", "1 GraphQL error: syntax error")),
    ("nonsense", ("schema", "graphql_error",
                  "the body is not a GraphQL response (no `data` or `errors`)")),
])
async def test_graphql_steps(make_rt: MakeRuntime, partial_api: tuple[PartialApi, str],
                             query: str, expected: tuple[str, str, str] | None) -> None:
    api, url = partial_api
    probe = http_probe(step("/graphql", kind="graphql", query=query,
                            variables={"id": "{{ uuid }}", "n": 3}))
    attempt = await kind_attempt(make_rt, url, probe)
    got = None if attempt.failure is None else (
        attempt.failure.category, attempt.failure.reason, attempt.failure.message)
    assert got == expected
    sent = api.graphql_requests[-1]
    assert sent["query"] == query and sent["variables"]["n"] == 3
    assert len(sent["variables"]["id"]) == 36  # rendered, not "{{ uuid }}"


async def test_expect_graphql_on_a_plain_step(make_rt: MakeRuntime,
                                              partial_api: tuple[PartialApi, str]) -> None:
    _, url = partial_api
    body = {"query": "query partial { me { plan } }"}
    plain = http_probe(step("/graphql", method="POST", json=body))
    checked = http_probe(step("/graphql", method="POST", json=body,
                              expect={"graphql": True, "json": {"$.data.me.id": {"equals": "u1"}}}))
    assert (await kind_attempt(make_rt, url, plain)).failure is None
    failure = (await kind_attempt(make_rt, url, checked)).failure
    assert failure is not None and failure.reason == "partial_failure"


@pytest.mark.parametrize(("options", "message"), [
    ({"kind": "graphql"}, "needs `query`"),
    ({"kind": "graphql", "query": "{ a }", "json": {"x": 1}}, "drop `json`"),
    ({"query": "{ a }"}, "belong to `kind: graphql`"),
])
def test_graphql_step_config_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        http_probe(step("/graphql", **options))


def test_a_graphql_step_posts_unless_told_otherwise() -> None:
    assert http_probe(step("/g", kind="graphql", query="{ a }")).steps[0].method == "POST"
    get = http_probe(step("/g", kind="graphql", query="{ a }", method="get"))
    assert get.steps[0].method == "GET"
