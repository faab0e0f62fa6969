"""Every category (README, Run status and error categories), each produced by a real failure of
that kind on loopback."""

from __future__ import annotations

import asyncio

import pytest

from probes.http import exchange as exchange_module
from probes.http.exchange import run_http_attempt
from probes.result import Attempt, Category, StepStatus
from tests.probes.conftest import UNRESOLVABLE, FailingProvider, MakeRuntime, http_probe, step
from tests.support.servers import RawTcpServer, TlsFiles, UvicornThread


def _failed(attempt: Attempt) -> tuple[str, str]:
    assert attempt.failure is not None, attempt
    return str(attempt.failure.category), attempt.failure.reason


async def _run(rt_url: str | None, make_rt: MakeRuntime, *steps: dict[str, object],
               **kwargs: object) -> Attempt:
    rt = make_rt(rt_url, **kwargs)
    return await run_http_attempt(rt, http_probe(*steps))


# ------------------------------------------------------------------------------- timeout


async def test_read_timeout_server_slower_than_timeout(api_server: UvicornThread,
                                                       make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step("/delay?s=5"), timeout_s=0.3)
    assert _failed(attempt) == ("timeout", "read_timeout")
    assert attempt.failed_step == "call"


async def test_read_timeout_accepted_never_answered(never_answer_server: RawTcpServer,
                                                    make_rt: MakeRuntime) -> None:
    attempt = await _run(never_answer_server.url, make_rt, step("/"), timeout_s=0.3)
    assert _failed(attempt) == ("timeout", "read_timeout")


async def test_connect_timeout(full_backlog_port: int, make_rt: MakeRuntime) -> None:
    attempt = await _run(f"http://127.0.0.1:{full_backlog_port}", make_rt, step("/"),
                         timeout_s=0.3)
    assert _failed(attempt) == ("timeout", "connect_timeout")


async def test_pool_timeout(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    rt = make_rt(api_server.url, timeout_s=0.3, max_connections=1)
    async with rt.client.stream("GET", "/drip?interval=0.05", timeout=10):  # holds the only slot
        attempt = await run_http_attempt(rt, http_probe(step("/v1/items")))
    assert _failed(attempt) == ("timeout", "pool_timeout")


async def test_deadline_on_slow_drip(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    """Each byte arrives well within the read timeout; only the run's deadline stops it (the
    run (probes/run.py) wraps attempts in asyncio.timeout and classifies the TimeoutError)."""
    from probes.classify import classify_exception

    rt = make_rt(api_server.url, timeout_s=5.0)
    partial = Attempt()
    with pytest.raises(TimeoutError) as caught:
        async with asyncio.timeout(0.5):
            await run_http_attempt(rt, http_probe(step("/drip?interval=0.02")), into=partial)
    failure = classify_exception(caught.value)
    assert (failure.category, failure.reason) == (Category.TIMEOUT, "deadline")
    assert [s.name for s in partial.steps] == ["call"]  # the step in flight is visible


# ----------------------------------------------------------------------------------- dns


async def test_dns_failure_stays_local(make_rt: MakeRuntime) -> None:
    attempt = await _run(f"http://{UNRESOLVABLE}:80", make_rt, step("/"))
    assert _failed(attempt) == ("dns", "dns_failure")


# ---------------------------------------------------------------------------- connection


async def test_refused(closed_port: int, make_rt: MakeRuntime) -> None:
    attempt = await _run(f"http://127.0.0.1:{closed_port}", make_rt, step("/"))
    assert _failed(attempt) == ("connection", "refused")


async def test_reset(reset_server: RawTcpServer, make_rt: MakeRuntime) -> None:
    attempt = await _run(reset_server.url, make_rt, step("/"))
    assert _failed(attempt) == ("connection", "reset")


@pytest.mark.parametrize("server", ["no_response_server", "mid_body_server"])
async def test_closed_early(server: str, request: pytest.FixtureRequest,
                            make_rt: MakeRuntime) -> None:
    raw: RawTcpServer = request.getfixturevalue(server)
    attempt = await _run(raw.url, make_rt, step("/"))
    assert _failed(attempt) == ("connection", "closed_early")


async def test_garbage_protocol(garbage_server: RawTcpServer, make_rt: MakeRuntime) -> None:
    attempt = await _run(garbage_server.url, make_rt, step("/"))
    assert _failed(attempt) == ("connection", "protocol_error")


# ----------------------------------------------------------------------------------- tls


@pytest.mark.parametrize(("server", "reason"), [
    ("expired_server", "cert_expired"),
    ("wronghost_server", "cert_hostname_mismatch"),
    ("untrusted_server", "cert_untrusted"),
])
async def test_tls_failures(server: str, reason: str, request: pytest.FixtureRequest,
                            tls_good: TlsFiles, make_rt: MakeRuntime) -> None:
    running: UvicornThread = request.getfixturevalue(server)
    attempt = await _run(running.url, make_rt, step("/v1/items"), ca_file=str(tls_good.ca_pem))
    assert _failed(attempt) == ("tls", reason)


# ---------------------------------------------------------------------------------- auth


@pytest.mark.parametrize(("path", "reason"), [("/protected", "http_401"),
                                              ("/status/403", "http_403")])
async def test_auth_status(path: str, reason: str, api_server: UvicornThread,
                           make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step(path))
    assert _failed(attempt) == ("auth", reason)


async def test_auth_provider_error(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step("/protected"),
                         credentials=FailingProvider())
    assert _failed(attempt) == ("auth", "invalid_client")


# --------------------------------------------------------------- rate_limited / 5xx / 4xx


@pytest.mark.parametrize(("path", "expected"), [
    ("/status/429?retry_after=7", ("rate_limited", "http_429")),
    ("/status/503?retry_after=7", ("rate_limited", "http_503")),
    ("/status/503", ("server_error", "http_503")),
    ("/status/500", ("server_error", "http_500")),
    ("/redirect-loop", ("server_error", "redirect_loop")),
    ("/status/404", ("client_error", "http_404")),
    ("/status/422", ("client_error", "http_422")),
])
async def test_status_categories(path: str, expected: tuple[str, str], api_server: UvicornThread,
                                 make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step(path))
    assert _failed(attempt) == expected
    if "retry_after" in path:
        rate_limit = attempt.steps[0].rate_limit
        assert rate_limit is not None and rate_limit.retry_after_s == 7


# -------------------------------------------------------------------------------- schema


@pytest.mark.parametrize(("path", "expect", "reason"), [
    ("/invalid-json", {"json": {"$.data": {"type": "array"}}}, "invalid_json"),
    ("/shape?renamed=1", {"json": {"$.amount": {"gt": 0}}}, "missing_field"),
    ("/shape", {"json": {"$.amount": {"type": "string"}}}, "wrong_type"),
    ("/huge?mb=16", {}, "body_too_large"),
    ("/gzip-bomb", {}, "body_too_large"),
])
async def test_schema_failures(path: str, expect: dict[str, object], reason: str,
                               api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step(path, expect=expect))
    assert _failed(attempt) == ("schema", reason)


async def test_schema_violation_names_the_pointer(api_server: UvicornThread,
                                                  make_rt: MakeRuntime, tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "schemas").mkdir()
    (folder / "schemas" / "items.json").write_text(
        '{"type": "object", "required": ["data"], "properties": {"data": {"type": "array",'
        ' "items": {"type": "object", "properties": {"price": {"type": "string"}}}}}}'
    )
    attempt = await _run(api_server.url, make_rt,
                         step("/v1/items", expect={"schema": "schemas/items.json"}),
                         base_dir=folder)
    assert _failed(attempt) == ("schema", "schema_violation")
    assert attempt.failure is not None and "/data/0/price" in attempt.failure.message


# ----------------------------------------------------------------------- assertion / slow


@pytest.mark.parametrize(("path", "expect", "reason"), [
    ("/shape", {"json": {"$.currency": {"equals": "usd"}}}, "value_mismatch"),
    ("/shape", {"json": {"$.id": {"matches": "^cus_"}}}, "pattern_mismatch"),
    ("/v1/items", {"status": 201}, "status_mismatch"),
    ("/headers", {"headers": {"X-Version": "3.0.0"}}, "header_mismatch"),
    ("/headers", {"body_contains": "goodbye"}, "body_mismatch"),
])
async def test_assertion_failures(path: str, expect: dict[str, object], reason: str,
                                  api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url, make_rt, step(path, expect=expect))
    assert _failed(attempt) == ("assertion", reason)


async def test_slow(api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    # The server sleeps 200 ms, the expectation is 10 ms: no timing luck involved.
    attempt = await _run(api_server.url, make_rt,
                         step("/delay?s=0.2", expect={"latency_under": "10ms"}))
    assert _failed(attempt) == ("slow", "latency_exceeded")


# -------------------------------------------------------------------- config / internal


@pytest.mark.parametrize(("base", "target", "reason"), [
    ("BASE", {"path": "/v1/items/{{ nope }}"}, "unknown_variable"),
    ("BASE", {"url": "ftp://127.0.0.1/file"}, "unsupported_url"),
    (None, {"path": "/v1/items"}, "unsupported_url"),  # a path but no base_url
])
async def test_config_failures(base: str | None, target: dict[str, str], reason: str,
                               api_server: UvicornThread, make_rt: MakeRuntime) -> None:
    attempt = await _run(api_server.url if base else None, make_rt, {"name": "call", **target})
    assert _failed(attempt) == ("config", reason)


async def test_internal_error_from_a_bug(api_server: UvicornThread, make_rt: MakeRuntime,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected bug")

    monkeypatch.setattr(exchange_module, "parse_rate_limit", broken)
    attempt = await _run(api_server.url, make_rt, step("/v1/items"))
    assert _failed(attempt) == ("internal", "internal_error")
    assert attempt.steps[0].status is StepStatus.FAILED
