"""How `once` and `status` present results: an aligned text table, JSON, and JUnit XML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

from core.redact import cut
from probes.result import ProbeResult, RunStatus

# The table's message column. Messages are redacted whole before they are stored or returned
# (probes/run.py), so cutting them here cannot split a secret.
MESSAGE_COLUMN = 80


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
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
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
