"""`seamwatch status`: each probe's latest run, p95 latency over the last hour and uptime over
24 h, read from the database that `serve` writes."""

from __future__ import annotations

import json
from typing import Any

from alerts.repo import AlertRepo
from alerts.state import ProbeState
from core.states import AlertState
from seamwatch.config import Config
from seamwatch.report import render_table
from storage.database import open_store
from storage.reads.queries import ProbeStatus, probe_status


def _age(row: ProbeStatus) -> str:
    return row.last_started_at.isoformat(timespec="seconds") if row.last_started_at else "never"


Row = tuple[ProbeStatus, ProbeState | None]


def status_rows(config: Config) -> list[Row]:
    """The configured probes' status and alert state (probes retired from the config are left
    out). The alert state is what `serve` last recorded; none before its first evaluation."""
    store = open_store(config.storage_url)
    try:
        rows = probe_status(store)
        states = AlertRepo(store).load_states()
    finally:
        store.close()
    wanted = {e.key for e in config.entries}
    return [(r, states.get((r.integration, r.probe))) for r in rows
            if f"{r.integration}/{r.probe}" in wanted]


def _state(state: ProbeState | None) -> str:
    return str(state.state) if state else "unknown"


def _as_json(row: ProbeStatus, state: ProbeState | None) -> dict[str, Any]:
    return {
        "integration": row.integration,
        "probe": row.probe,
        "kind": row.kind,
        "alert_state": _state(state),
        "alert_since": state.since.isoformat() if state and state.since else None,
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
        print(json.dumps([_as_json(r, s) for r, s in rows], indent=2))
    else:
        print(render_table(
            ("integration", "probe", "alert", "last run", "status", "category", "reason",
             "p95 1h", "uptime 24h"),
            [(r.integration, r.probe, _state(s), _age(r), r.last_status or "no runs",
              r.last_category, r.last_reason,
              "" if r.p95_latency_ms_1h is None else f"{r.p95_latency_ms_1h:.0f}ms",
              "" if r.uptime_24h is None else f"{r.uptime_24h:.2f}%") for r, s in rows],
        ))
    firing = any(s is not None and s.state is AlertState.FIRING for _, s in rows)
    return 1 if firing else 0
