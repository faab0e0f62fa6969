"""The dns probe kind against a DNS server of our own on 127.0.0.1 (no outside resolver is ever
asked: every lookup names `resolver:`, except `localhost`, which /etc/hosts answers, and the
getaddrinfo error mapping, which replaces the loop's getaddrinfo)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from probes.kinds.dns import DnsProbe
from probes.result import Category, RunStatus, StepStatus
from probes.run import run_probe
from tests.probes.conftest import AttemptOf, MakeRuntime, policy
from tests.support.dnsserver import LocalDnsServer, SilentDnsServer

RECORDS: dict[str, dict[str, list[str]]] = {
    "shop.test": {
        "A": ["10.0.0.1", "10.0.0.2"],
        "AAAA": ["2001:db8::1"],
        "MX": ["10 mail.shop.test.", "20 backup.shop.test."],
        "TXT": ['"v=spf1 include:_spf.shop.test ~all"', '"verify=abc123"'],
        "NS": ["ns1.shop.test.", "ns2.shop.test."],
    },
    "www.shop.test": {"CNAME": ["shop.test."]},
    "broken.test": {"SERVFAIL": []},
}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[LocalDnsServer]:
    with LocalDnsServer(RECORDS) as server:
        yield server


def _probe(resolver: str | None, host: str = "shop.test", **options: Any) -> DnsProbe:
    spec = {"name": "records", "type": "dns", "host": host, "timeout": "2s", **options}
    if resolver is not None:
        spec["resolver"] = resolver
    return DnsProbe.model_validate(spec)


@pytest.mark.parametrize(("record_type", "contains"), [
    ("A", ["10.0.0.2", "10.0.0.1"]),
    ("AAAA", ["2001:db8:0::1"]),  # compared as addresses, not text
    ("MX", ["mail.shop.test", "20 backup.shop.test."]),
    ("TXT", ["v=spf1", "verify=abc123"]),  # TXT: substring of one answer
    ("NS", ["NS1.shop.test."]),
])
async def test_record_types_and_expectations(dns_server: LocalDnsServer, record_type: str,
                                             contains: list[str], attempt_of: AttemptOf) -> None:
    probe = _probe(dns_server.address, record_type=record_type,
                   expect={"contains": contains, "min_answers": 1})
    attempt = await attempt_of(probe)
    assert attempt.failure is None, attempt.failure
    step = attempt.steps[0]
    assert (step.name, step.status) == ("resolve", StepStatus.OK)
    assert step.latency_ms is not None and step.phases.dns_ms is not None


async def test_cname(dns_server: LocalDnsServer, attempt_of: AttemptOf) -> None:
    probe = _probe(dns_server.address, host="www.shop.test", record_type="cname",
                   expect={"contains": "shop.test"})
    attempt = await attempt_of(probe)
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize(("host", "record_type", "expected"), [
    ("nowhere.test", "A", ("dns", "nxdomain")),
    ("www.shop.test", "MX", ("dns", "no_answer")),
    ("broken.test", "A", ("dns", "dns_failure")),
])
async def test_lookup_failures(dns_server: LocalDnsServer, host: str, record_type: str,
                               expected: tuple[str, str], attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(dns_server.address, host=host,
                                      record_type=record_type))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == expected
    assert attempt.failed_step == "resolve"
    assert host in attempt.failure.message


async def test_resolver_that_never_answers_is_a_timeout(attempt_of: AttemptOf) -> None:
    with SilentDnsServer() as silent:
        attempt = await attempt_of(_probe(silent.address, timeout="300ms"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("timeout", "dns_timeout")
    assert silent.address in attempt.failure.message


@pytest.mark.parametrize(("expect", "shown"), [
    ({"contains": ["10.0.0.9"]}, "expected '10.0.0.9' among the answers, got 10.0.0.1, 10.0.0.2"),
    ({"min_answers": 3}, "expected at least 3 answers, got 2"),
])
async def test_expectation_mismatch_is_an_assertion(dns_server: LocalDnsServer,
                                                    expect: dict[str, Any], shown: str,
                                                    attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(dns_server.address, expect=expect))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == ("assertion", "dns_mismatch")
    assert shown in attempt.failure.message


async def test_through_run_probe(dns_server: LocalDnsServer, make_rt: MakeRuntime) -> None:
    probe = _probe(dns_server.address, retries=0)
    result = await run_probe(make_rt(), probe, policy(probe))
    assert result.status is RunStatus.OK and result.kind == "dns"
    gone = _probe(dns_server.address, host="gone.test", retries=0)
    failed = await run_probe(make_rt(), gone, policy(gone))
    assert failed.status is RunStatus.FAILED and failed.category is Category.DNS


async def test_system_resolver_reads_the_hosts_file(attempt_of: AttemptOf) -> None:
    attempt = await attempt_of(_probe(None, host="localhost",
                                      expect={"contains": ["127.0.0.1"]}))
    assert attempt.failure is None, attempt.failure


@pytest.mark.parametrize(("code", "expected"), [
    (socket.EAI_NONAME, ("dns", "nxdomain")),
    (getattr(socket, "EAI_NODATA", socket.EAI_NONAME - 1000), ("dns", "no_answer")),
    (socket.EAI_AGAIN, ("dns", "dns_failure")),
])
async def test_system_resolver_errors(monkeypatch: pytest.MonkeyPatch, code: int,
                                      expected: tuple[str, str], attempt_of: AttemptOf) -> None:
    if code < -900:
        pytest.skip("no EAI_NODATA on this platform")

    async def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(code, "lookup failed")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fail)
    attempt = await attempt_of(_probe(None, host="shop.test", record_type="AAAA"))
    assert attempt.failure is not None
    assert (attempt.failure.category, attempt.failure.reason) == expected


@pytest.mark.parametrize(("options", "message"), [
    ({"record_type": "SRV"}, "'A', 'AAAA', 'CNAME', 'MX', 'TXT' or 'NS'"),
    ({"resolver": "dns.example"}, "expected the IP address of a DNS server"),
    ({"resolver": "127.0.0.1:99999"}, "expected the IP address of a DNS server"),
    ({"expect": {"contains": ["shop.test"]}}, "is not an IPv4 address"),
    ({"record_type": "AAAA", "expect": {"contains": ["10.0.0.1"]}}, "is not an IPv6 address"),
])
def test_spec_validation(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DnsProbe.model_validate({"name": "records", "type": "dns", "host": "shop.test",
                                 **options})


@pytest.mark.parametrize("resolver", ["9.9.9.9", "127.0.0.1:5353", "::1", "[::1]:5353"])
def test_resolver_forms(resolver: str) -> None:
    assert _probe(resolver).resolver == resolver
