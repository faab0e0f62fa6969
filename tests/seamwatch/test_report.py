"""`once` output formats: the table, the JSON shape and JUnit XML that CI systems parse (also when
a server's answer, quoted in a message, holds characters XML 1.0 forbids)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
from tests.support.cli import run_cli
from tests.support.servers import UvicornThread

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


# ------------------------------------------------------------- characters XML 1.0 forbids

FORBIDDEN = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x1f", "\ud800", "\udfff",
             "\ufffe", "\uffff"]


def _hostile_api() -> Starlette:
    """A server whose answers carry every kind of character XML 1.0 forbids."""

    async def control(request: Request) -> Response:
        body = "oops \x00\x01\x07\x08\x0b\x0c\x1b[31mred\x1f \ufffe\uffff end".encode()
        return Response(body, status_code=500, media_type="text/plain; charset=utf-8")

    async def surrogate(request: Request) -> Response:
        # Valid JSON text whose string holds lone surrogates, a NUL and U+FFFF once decoded.
        text = '{"name": "a\\ud800b\\udfffc\\u0000d\\uffffe"}'
        return Response(text.encode(), media_type="application/json")

    return Starlette(routes=[Route("/control", control), Route("/surrogate", surrogate)])


def _assert_valid_xml_text(text: str) -> None:
    assert not any(ch in text for ch in FORBIDDEN), repr(text)


def test_junit_from_a_server_sending_forbidden_characters_parses(tmp_path: Path) -> None:
    with UvicornThread(_hostile_api()) as server:
        config = tmp_path / "seamwatch.yaml"
        config.write_text(f"""
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s}}
integrations:
  - name: "hostile"
    base_url: {server.url}
    probes:
      - name: control
        steps: [{{name: "get", path: /control}}]
      - name: surrogate
        steps:
          - name: get
            path: /surrogate
            expect: {{json: {{"$.name": {{equals: "plain"}}}}}}
""")
        junit = tmp_path / "report.xml"
        result = run_cli(["once", "-c", str(config), "--no-store", "--junit", str(junit)])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b" not in result.stdout  # the table does not pass escape sequences to a terminal
    root = ET.parse(junit).getroot()  # raised ParseError (or `once` crashed) before the fix
    failures = {case.get("name"): case.find("failure") for case in root.iter("testcase")}
    control, surrogate = failures["control"], failures["surrogate"]
    assert control is not None and control.text is not None
    assert "oops" in control.text and "red" in control.text and "end" in control.text
    assert surrogate is not None and surrogate.text is not None
    shown = surrogate.text.replace("\\u0000", "").replace("\ufffd", "")
    assert "expected" in surrogate.text and "abcd" in shown
    for element in root.iter():
        _assert_valid_xml_text(element.text or "")
        for value in element.attrib.values():
            _assert_valid_xml_text(value)


def test_a_message_with_lone_surrogates_is_stored(tmp_path: Path) -> None:
    """SQLite cannot encode a lone surrogate: the writer retried such a batch without end, so
    `once` hung. Messages leave the probe with each one replaced by U+FFFD."""
    with UvicornThread(_hostile_api()) as server:
        config = tmp_path / "seamwatch.yaml"
        config.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults: {{retries: 0, timeout: 5s}}
integrations:
  - name: "hostile"
    base_url: {server.url}
    probes:
      - name: surrogate
        steps:
          - name: get
            path: /surrogate
            expect: {{json: {{"$.name": {{equals: "plain"}}}}}}
""")
        result = run_cli(["once", "-c", str(config)], timeout=60)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(tmp_path / "runs.db") as db:
        (message,) = db.execute("SELECT message FROM runs").fetchone()
    assert "\ufffd" in message and "expected" in message


def test_junit_strips_forbidden_characters_from_every_text_and_attribute() -> None:
    hostile = "".join(FORBIDDEN)
    failure = Failure(Category.SERVER_ERROR, f"http_500{hostile}", f"body {hostile}: boom")
    results = [
        ProbeResult(f"pay{hostile}", f"refund{hostile}", "http", RunStatus.FAILED, STARTED, 1.0,
                    failure=failure, failed_step=f"create{hostile}"),
        ProbeResult("pay", "list", "http", RunStatus.DEGRADED, STARTED, 1.0,
                    degraded_reason=f"slow {hostile}\tstill\nok"),
    ]
    root = ET.fromstring(results_junit(results))
    assert [s.get("name") for s in root.iter("testsuite")] == ["pay", "pay"]
    assert [c.get("name") for c in root.iter("testcase")] == ["refund", "list"]
    failure_node = root.find(".//failure")
    assert failure_node is not None
    assert failure_node.get("message") == "server_error: http_500"
    assert failure_node.text == "step create: body : boom"
    out = root.find(".//system-out")
    assert out is not None and out.text == "degraded: slow \tstill\nok"
