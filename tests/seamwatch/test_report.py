"""`once` output formats: the table, the JSON shape and JUnit XML that CI systems parse."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from probes.result import (
    Category,
    Failure,
    PhaseTimings,
    ProbeResult,
    RateLimit,
    RunStatus,
    StepResult,
    StepStatus,
)
from seamwatch.report import results_json, results_junit, results_table

STARTED = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def _results() -> list[ProbeResult]:
    ok_step = StepResult(
        "list", StepStatus.OK, 12.5, 200,
        PhaseTimings(connect_ms=1.0, tls_ms=2.0, ttfb_ms=8.0, transfer_ms=1.5),
        RateLimit(limit=100, remaining=7),
    )
    failure = Failure(Category.RATE_LIMITED, "http_429", "429 Too Many Requests; retry in 30s")
    return [
        ProbeResult("payments", "list-charges", "http", RunStatus.OK, STARTED, 12.5, [ok_step]),
        ProbeResult("payments", "refund", "http", RunStatus.FAILED, STARTED, 40.0,
                    [StepResult("create", StepStatus.FAILED, 40.0, 429, failure=failure)],
                    failure=failure, failed_step="create", attempts=2),
        ProbeResult("idp", "auth", "auth", RunStatus.DEGRADED, STARTED, 900.0,
                    degraded_reason="slower than 500ms (900ms)", credential_ttl_s=3600),
    ]


def test_table_has_a_row_per_probe_and_a_summary() -> None:
    lines = results_table(_results()).splitlines()
    assert lines[0].split()[:4] == ["INTEGRATION", "PROBE", "STATUS", "CATEGORY"]
    refund = next(line for line in lines if "refund" in line)
    assert "failed" in refund and "rate_limited" in refund and "http_429" in refund
    assert "create" in refund and "40ms" in refund
    assert lines[-1] == "3 probes: 1 ok, 1 degraded, 1 failed"


def test_json_shape() -> None:
    data = json.loads(results_json(_results()))
    assert [d["probe"] for d in data] == ["list-charges", "refund", "auth"]
    first, second = data[0], data[1]
    required = {"integration", "probe", "status", "category", "reason", "message", "latency_ms",
                "started_at", "steps"}
    assert required <= set(first)
    step = first["steps"][0]
    assert step["name"] == "list" and step["http_status"] == 200 and step["status"] == "ok"
    assert step["phases"]["ttfb_ms"] == 8.0 and step["rate_limit"]["remaining"] == 7
    assert second["category"] == "rate_limited" and second["attempts"] == 2
    assert datetime.fromisoformat(first["started_at"]) == STARTED


def test_junit_counts_failures_per_integration() -> None:
    root = ET.fromstring(results_junit(_results()))
    assert root.tag == "testsuites" and root.get("tests") == "3" and root.get("failures") == "1"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["payments"].get("failures") == "1" and suites["idp"].get("failures") == "0"
    failure = suites["payments"].find("testcase[@name='refund']/failure")
    assert failure is not None
    assert failure.get("type") == "rate_limited"
    assert failure.text == "step create: 429 Too Many Requests; retry in 30s"
    assert suites["payments"].find("testcase[@name='list-charges']/failure") is None
