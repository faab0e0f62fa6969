"""How `once` and `status` present results: an aligned text table, JSON, and JUnit XML."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from core.redact import cut
from probes.result import ProbeResult, RunStatus

# The table's message column. Messages are redacted whole before they are stored or returned
# (probes/run.py), so cutting them here cannot split a secret.
MESSAGE_COLUMN = 80

# What XML 1.0 forbids (every control character but tab, newline and carriage return; lone
# surrogates; U+FFFE and U+FFFF). A server's response quoted in a message can contain any of them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a table cell must not send to a terminal: controls (escape sequences, line breaks), C1
# controls, and lone surrogates (stdout cannot encode them).
_NOT_CELL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _NOT_XML.sub("", text)


def _cell(value: Any) -> str:
    return "" if value is None else _NOT_CELL.sub(" ", str(value))


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}ms"


def results_table(results: Sequence[ProbeResult]) -> str:
    rows = [
        (r.integration, r.probe, str(r.status), r.category, r.reason, _ms(r.latency_ms),
         r.failed_step, cut(r.message or r.degraded_reason or "", MESSAGE_COLUMN))
        for r in results
    ]
    table = render_table(
        ("integration", "probe", "status", "category", "reason", "latency", "step", "message"),
        rows,
    )
    failed = sum(r.status is RunStatus.FAILED for r in results)
    degraded = sum(r.status is RunStatus.DEGRADED for r in results)
    summary = f"{len(results)} probes: {len(results) - failed - degraded} ok, " \
              f"{degraded} degraded, {failed} failed"
    return f"{table}\n\n{summary}"


def results_json(results: Sequence[ProbeResult]) -> str:
    return json.dumps([r.to_json() for r in results], indent=2)


def results_junit(results: Sequence[ProbeResult]) -> bytes:
    """One <testsuite> per integration, one <testcase> per probe; failures carry category,
    reason and the (already redacted) message."""
    root = ET.Element("testsuites", name="seamwatch")
    by_integration: dict[str, list[ProbeResult]] = {}
    for result in results:
        by_integration.setdefault(result.integration, []).append(result)
    total_failures = 0
    for integration, items in by_integration.items():
        failures = sum(r.status is RunStatus.FAILED for r in items)
        total_failures += failures
        suite = ET.SubElement(
            root, "testsuite", name=integration, tests=str(len(items)),
            failures=str(failures), errors="0",
            time=f"{sum(r.latency_ms for r in items) / 1000:.3f}",
            timestamp=min(r.started_at for r in items).isoformat(),
        )
        for r in items:
            case = ET.SubElement(
                suite, "testcase", classname=integration, name=r.probe,
                time=f"{r.latency_ms / 1000:.3f}",
            )
            if r.status is RunStatus.FAILED and r.failure:
                node = ET.SubElement(
                    case, "failure", type=str(r.failure.category),
                    message=f"{r.failure.category}: {r.failure.reason}",
                )
                step = f"step {r.failed_step}: " if r.failed_step else ""
                node.text = f"{step}{r.failure.message}"
            elif r.status is RunStatus.DEGRADED:
                out = ET.SubElement(case, "system-out")
                out.text = f"degraded: {r.degraded_reason}"
    root.set("tests", str(len(results)))
    root.set("failures", str(total_failures))
    _strip_forbidden(root)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _strip_forbidden(root: ET.Element) -> None:
    """Make every text and attribute of the tree valid XML 1.0 (ElementTree writes what it is
    given, and a parser then rejects the whole file)."""
    for element in root.iter():
        if element.text is not None:
            element.text = xml_text(element.text)
        for name, value in list(element.attrib.items()):
            element.set(name, xml_text(value))
