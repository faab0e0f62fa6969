"""Multi-step behaviour: saved values, clean-up steps, credentials, TLS trust, redaction."""

from __future__ import annotations

import time
from dataclasses import asdict

import pytest

from probes.http.exchange import run_http_attempt
from probes.result import Category, ExpiryKind, StepStatus
from tests.probes.conftest import MakeRuntime, RotatingBearer, StaticBearer, http_probe, step
from tests.support.servers import TlsFiles, UvicornThread
from tests.support.testapi import TestApi


def _statuses(attempt: object) -> list[str]:
    return [str(s.status) for s in attempt.steps]  # type: ignore[attr-defined]


async def test_roundtrip_saves_and_templates(api_server: UvicornThread,
                                             make_rt: MakeRuntime) -> None:
    probe = http_probe(
        {"name": "create", "method": "POST", "path": "/v1/items",
         "json": {"name": "probe-{{ uuid }}", "price": 5, "tags": ["{{ uuid }}"]},
         "expect": {"status": 201, "json": {"$.name": {"matches": "^probe-"}}},
         "save": {"id": "$.id", "name": "$.name", "price": "$.price"}},
        {"name": "fetch", "path": "/v1/items/{{ id }}",
         "expect": {"json": {"$.id": {"equals": "{{ id }}"}, "$.name": {"equals": "{{ name }}"},
                             "$.price": {"equals": "{{ price }}"}}}},
        {"name": "delete", "method": "DELETE", "path": "/v1/items/{{ id }}",
         "expect": {"status": [200, 204]}, "always_run": True},
    )
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure
    assert _statuses(attempt) == ["ok", "ok", "ok"]
    assert [s.http_status for s in attempt.steps] == [201, 200, 204]


async def test_after_a_failure_later_steps_skip_but_cleanup_runs(
    api_server: UvicornThread, make_rt: MakeRuntime, api: TestApi
) -> None:
    probe = http_probe(
        {"name": "create", "method": "POST", "path": "/v1/items", "json": {"name": "tmp"},
         "expect": {"status": 201, "json": {"$.name": {"equals": "other"}}},
         "save": {"id": "$.id"}},
        {"name": "fetch", "path": "/v1/items/{{ id }}"},
        {"name": "delete", "method": "DELETE", "path": "/v1/items/{{ id }}",
         "always_run": True, "expect": {"status": 200}},  # 204 comes back: its own failure
    )
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert _statuses(attempt) == ["failed", "skipped", "failed"]
    assert attempt.failed_step == "create"  # the clean-up's failure does not replace it
    assert attempt.failure is not None and attempt.failure.reason == "value_mismatch"
    assert attempt.steps[2].http_status == 204
    assert all(item["name"] != "tmp" for item in api.items.values())  # cleaned up


async def test_cleanup_of_something_never_created_is_skipped(api_server: UvicornThread,
                                                             make_rt: MakeRuntime) -> None:
    probe = http_probe(
        {"name": "create", "method": "POST", "path": "/status/500", "save": {"id": "$.id"}},
        {"name": "delete", "method": "DELETE", "path": "/v1/items/{{ id }}", "always_run": True},
    )
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert _statuses(attempt) == ["failed", "skipped"]
    assert attempt.failure is not None and attempt.failure.category is Category.SERVER_ERROR


async def test_params_headers_form_and_text_bodies(api_server: UvicornThread,
                                                   make_rt: MakeRuntime) -> None:
    probe = http_probe(
        {"name": "form", "method": "POST", "path": "/echo", "form": {"a": "{{ timestamp }}"},
         "params": {"n": 3, "flag": True}, "headers": {"X-Probe": "p-{{ uuid }}"},
         "expect": {"json": {"$.body.a": {"matches": r"^\d+$"}, "$.query.n": {"equals": "3"},
                             "$.query.flag": {"equals": "true"},
                             "$.headers.x-probe": {"matches": "^p-[0-9a-f-]{36}$"}}}},
        {"name": "text", "method": "POST", "path": "/echo", "body": "at {{ now }}",
         "expect": {"body_contains": ["at 20", "+00:00"]}},
    )
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure


async def test_shape_changes_after_n_calls(api_server: UvicornThread, make_rt: MakeRuntime,
                                           api: TestApi) -> None:
    api.shape_calls = 0
    rt = make_rt(api_server.url)
    probe = http_probe(step("/shape/counted", expect={"json": {"$.amount": {"type": "integer"}}}))
    results = [await run_http_attempt(rt, probe) for _ in range(api.shape_after + 1)]
    assert [r.failure.reason if r.failure else None for r in results] == [None, None,
                                                                          "missing_field"]


async def test_phases_rate_limit_and_redirects(api_server: UvicornThread,
                                               make_rt: MakeRuntime) -> None:
    probe = http_probe(step("/ratelimit?style=combined&remaining=5"),
                       step("/redirect", name="redirected", expect={"status": 200}))
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure
    first = attempt.steps[0]
    assert first.phases.connect_ms is not None and first.phases.ttfb_ms is not None
    assert first.phases.transfer_ms is not None and first.latency_ms is not None
    assert first.rate_limit is not None
    assert (first.rate_limit.limit, first.rate_limit.remaining) == (100, 5)
    assert attempt.steps[1].http_status == 200


async def test_redirect_not_followed_when_disabled(api_server: UvicornThread,
                                                   make_rt: MakeRuntime) -> None:
    probe = http_probe(step("/redirect"), follow_redirects=False)
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("assertion", "status_mismatch")
    assert attempt.steps[0].http_status == 302


async def test_refresh_once_on_401_then_succeed(api_server: UvicornThread,
                                                make_rt: MakeRuntime) -> None:
    provider = RotatingBearer("stale-token", "good-token")
    attempt = await run_http_attempt(make_rt(api_server.url, credentials=provider),
                                     http_probe(step("/protected")))
    assert attempt.failure is None, attempt.failure
    assert provider.refreshes == 1 and attempt.steps[0].http_status == 200


async def test_refresh_once_still_rejected_is_auth(api_server: UvicornThread,
                                                   make_rt: MakeRuntime) -> None:
    provider = RotatingBearer("stale-token", "forbidden-token", "good-token")
    attempt = await run_http_attempt(make_rt(api_server.url, credentials=provider),
                                     http_probe(step("/protected")))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("auth", "http_403")
    assert provider.refreshes == 1  # once, never more


async def test_static_credential_is_not_retried(api_server: UvicornThread,
                                                make_rt: MakeRuntime) -> None:
    provider = StaticBearer("wrong-token")
    attempt = await run_http_attempt(make_rt(api_server.url, credentials=provider),
                                     http_probe(step("/protected")))
    assert attempt.failure is not None and attempt.failure.reason == "http_401"
    assert provider.refreshes == 1


async def test_step_without_auth_sends_no_credential(api_server: UvicornThread,
                                                     make_rt: MakeRuntime) -> None:
    provider = StaticBearer("good-token")
    probe = http_probe(step("/protected", name="anonymous", auth=False,
                            expect={"status": 401}), step("/protected", name="authed"))
    attempt = await run_http_attempt(make_rt(api_server.url, credentials=provider), probe)
    assert attempt.failure is None, attempt.failure
    assert provider.refreshes == 0  # an expected 401 is not a stale credential


async def test_canary_secret_never_in_results(api_server: UvicornThread,
                                              make_rt: MakeRuntime) -> None:
    canary = "canary-S3cr3t-7f2a9c"
    rt = make_rt(api_server.url, credentials=StaticBearer(canary), secrets=(canary,))
    probes = [
        http_probe(step("/echo-auth?status=500")),  # echoed in an error body snippet
        http_probe(step("/echo-auth", expect={"json": {"$.you_sent": {"equals": "x"}}})),
        http_probe(step("/echo-auth", expect={"json": {"$.you_sent": {"matches": "^nope"}}})),
        http_probe(step("/echo-auth", expect={"json": {"$.you_sent": {"one_of": [1, 2]}}})),
    ]
    for probe in probes:
        attempt = await run_http_attempt(rt, probe)
        assert attempt.failure is not None
        assert "Bearer ***" in attempt.failure.message  # the echo was there, masked
        dumped = repr(attempt) + repr([asdict(s) for s in attempt.steps])
        assert canary not in dumped


async def test_https_with_ca_file_records_cert_days(tls_server: UvicornThread,
                                                    tls_good: TlsFiles,
                                                    make_rt: MakeRuntime) -> None:
    rt = make_rt(tls_server.url, ca_file=str(tls_good.ca_pem))
    attempt = await run_http_attempt(rt, http_probe(step("/v1/items"),
                                                    step("/v1/items/it_1", name="one")))
    assert attempt.failure is None, attempt.failure
    assert attempt.steps[0].phases.tls_ms is not None
    assert attempt.cert_days_left is not None and attempt.cert_days_left > 30
    # every HTTPS origin touched is an expiry, once per attempt
    (expiry,) = attempt.expiries
    assert (expiry.kind, expiry.subject) == (ExpiryKind.CERTIFICATE,
                                             f"127.0.0.1:{tls_server.port}")
    assert expiry.expires_at_s == pytest.approx(
        time.time() + attempt.cert_days_left * 86400, abs=5)


async def test_ca_file_relative_to_base_dir(tls_server: UvicornThread, tls_good: TlsFiles,
                                            make_rt: MakeRuntime) -> None:
    rt = make_rt(tls_server.url, ca_file=tls_good.ca_pem.name, base_dir=tls_good.ca_pem.parent)
    attempt = await run_http_attempt(rt, http_probe(step("/v1/items")))
    assert attempt.failure is None, attempt.failure


async def test_verify_tls_false_accepts_untrusted(untrusted_server: UvicornThread,
                                                  make_rt: MakeRuntime) -> None:
    rt = make_rt(untrusted_server.url, verify_tls=False)
    attempt = await run_http_attempt(rt, http_probe(step("/v1/items")))
    assert attempt.failure is None, attempt.failure


async def test_status_class_and_list_expectations(api_server: UvicornThread,
                                                  make_rt: MakeRuntime) -> None:
    probe = http_probe(step("/status/404", name="gone", expect={"status": "4xx"}),
                       step("/status/204", name="empty", expect={"status": [200, 204]}))
    attempt = await run_http_attempt(make_rt(api_server.url), probe)
    assert attempt.failure is None, attempt.failure
    assert _statuses(attempt) == [str(StepStatus.OK)] * 2
