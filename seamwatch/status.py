"""`seamwatch status`: each probe's latest run, p95 latency over the last hour and uptime over
24 h, read from the database that `serve` writes."""

from __future__ import annotations

import json
from typing import Any

from probes.result import RunStatus
from seamwatch.config import Config
from seamwatch.report import render_table
from storage.engine import open_store
from storage.queries import ProbeStatus, probe_status


def _age(row: ProbeStatus) -> str:
    return row.last_started_at.isoformat(timespec="seconds") if row.last_started_at else "never"


def status_rows(config: Config) -> list[ProbeStatus]:
    """The configured probes' status (probes retired from the config are left out)."""
    store = open_store(config.storage_url)
    try:
        rows = probe_status(store)
    finally:
        store.close()
    wanted = {e.key for e in config.entries}
    return [r for r in rows if f"{r.integration}/{r.probe}" in wanted]


def _as_json(row: ProbeStatus) -> dict[str, Any]:
    return {
        "integration": row.integration,
        "probe": row.probe,
        "kind": row.kind,
        "status": str(row.last_status) if row.last_status else None,
        "category": str(row.last_category) if row.last_category else None,
        "reason": row.last_reason,
        "message": row.last_message,
        "last_run_at": row.last_started_at.isoformat() if row.last_started_at else None,
        "latency_ms": row.last_latency_ms,
        "p95_latency_ms_1h": row.p95_latency_ms_1h,
        "runs_1h": row.runs_1h,
        "uptime_24h": row.uptime_24h,
        "runs_24h": row.runs_24h,
    }


def print_status(config: Config, *, as_json: bool = False) -> int:
    rows = status_rows(config)
    if as_json:
        print(json.dumps([_as_json(r) for r in rows], indent=2))
    else:
        print(render_table(
            ("integration", "probe", "status", "category", "reason", "last run", "p95 1h",
             "uptime 24h"),
            [(r.integration, r.probe, r.last_status or "no runs", r.last_category,
              r.last_reason, _age(r),
              "" if r.p95_latency_ms_1h is None else f"{r.p95_latency_ms_1h:.0f}ms",
              "" if r.uptime_24h is None else f"{r.uptime_24h:.2f}%") for r in rows],
        ))
    failing = any(r.last_status is RunStatus.FAILED for r in rows)
    return 1 if failing else 0
