"""Committed runs whose alert evaluation is still owed, kept across a stop.

When `serve` stops while the alert transaction cannot commit (the database is locked), the
batches not yet applied are written, in order, to `<runner.state_dir>/unevaluated-runs.jsonl`
(one batch per line); the next start applies them first, before any new run, and removes the
file once they are applied.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from alerts.evaluator import RunInput
from probes.result import ProbeResult
from storage.ingest.spill import decode_result, encode_result, write_atomically

log = logging.getLogger("seamwatch.alerts")
BACKLOG_NAME = "unevaluated-runs.jsonl"


class StoredRun(NamedTuple):
    """A committed run read back from the file (what the evaluator needs of storage's
    WrittenRun)."""

    result: ProbeResult
    run_id: int


def save(path: Path, batches: Sequence[Sequence[RunInput]]) -> int:
    """Write `batches` (oldest first) as the whole file; returns the number of runs."""

    def line(batch: Sequence[RunInput]) -> bytes:
        runs = []
        for item in batch:
            run = item if isinstance(item, ProbeResult) else item.result
            runs.append({"run_id": getattr(item, "run_id", None), "run": encode_result(run)})
        text = json.dumps({"runs": runs}, separators=(",", ":"), ensure_ascii=False)
        return text.encode() + b"\n"

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(path, (line(b) for b in batches))
    return sum(len(b) for b in batches)


def _item(record: dict[str, Any]) -> RunInput:
    run = decode_result(record["run"])
    run_id = record.get("run_id")
    return run if run_id is None else StoredRun(run, int(run_id))


def load(path: Path) -> list[list[RunInput]]:
    """The batches in the file, oldest first (an unreadable line is logged and skipped)."""
    if not path.exists():
        return []
    batches: list[list[RunInput]] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
                batches.append([_item(r) for r in record["runs"]])
            except (ValueError, KeyError, TypeError) as exc:
                log.error("%s:%d: skipping an unreadable batch (%s: %s)", path, number,
                          type(exc).__name__, exc)
    return batches
