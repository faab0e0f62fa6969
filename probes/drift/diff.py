"""Readable forms of a learned shape and of a drift event's example (types and keys only), for
`seamwatch baseline show` and the dashboard's probe page."""

from __future__ import annotations

from typing import Any

from probes.drift.baseline import BaselineRecord, compile_baseline


def example_diff(example: dict[str, Any]) -> list[str]:
    """`  path  type` for what stayed, `- path  type` / `+ path  type` for what changed."""
    before: dict[str, str] = example.get("before", {})
    after: dict[str, str] = example.get("after", {})
    width = max((len(k) for k in (*before, *after)), default=0)
    lines = []
    for path in sorted({*before, *after}):
        old, new = before.get(path), after.get(path)
        if old == new:
            lines.append(f"  {path.ljust(width)}  {old}")
            continue
        if old is not None:
            lines.append(f"- {path.ljust(width)}  {old}")
        if new is not None:
            lines.append(f"+ {path.ljust(width)}  {new}")
    return lines


def shape_rows(record: BaselineRecord) -> list[tuple[str, str, str]]:
    """(JSONPath, types, required/optional/enum-like) for every path a baseline knows."""
    baseline = compile_baseline(record)
    rows = []
    for path, rule in baseline.rules.items():
        notes = ["required" if rule.required else "optional" if rule.member else ""]
        if path in baseline.enums:
            notes.append(f"enum-like ({len(baseline.enums[path])} values)")
        rows.append((path, "|".join(sorted(rule.types)), ", ".join(n for n in notes if n)))
    return rows
