"""`seamwatch status`: each probe's latest run, p95 latency over the last hour and uptime over
24 h, and the expiry list (what runs saw will expire, soonest first), read from the database that
`serve` (or `once`) writes."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from alerts.repo import AlertRepo
from alerts.state import ProbeState
from core.states import AlertState
from core.types import format_duration
from seamwatch.config import Config
from seamwatch.report import render_table
from storage.database import open_store
from storage.reads.expiries import ExpiryView, list_expiries
from storage.reads.queries import ProbeStatus, probe_status


def _age(row: ProbeStatus) -> str:
    return row.last_started_at.isoformat(timespec="seconds") if row.last_started_at else "never"


Row = tuple[ProbeStatus, ProbeState | None]


def status_rows(config: Config) -> tuple[list[Row], list[ExpiryView]]:
    """The configured probes' status and alert state (probes retired from the config are left
    out; the alert state is what `serve` last recorded, none before its first evaluation), and
    the configured integrations' expiries, soonest first."""
    store = open_store(config.storage_url)
    try:
        rows = probe_status(store)
        states = AlertRepo(store).load_states()
        expiries = list_expiries(store, [i.name for i in config.integrations])
    finally:
        store.close()
    wanted = {e.key for e in config.entries}
    return [(r, states.get((r.integration, r.probe))) for r in rows
            if f"{r.integration}/{r.probe}" in wanted], expiries


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


def _iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(
        timespec="seconds")


def expiry_json(e: ExpiryView, now_ms: int) -> dict[str, Any]:
    """One expiry as `status --json` and `report --format json` print it."""
    return {
        "integration": e.integration, "kind": e.kind, "subject": e.subject, "probe": e.probe,
        "expires_at": _iso(e.expires_ms), "expires_in_s": round(e.left_s(now_ms), 3),
        "lifetime_s": None if e.lifetime_ms is None else e.lifetime_ms / 1000,
        "longest_lifetime_s": (None if e.longest_lifetime_ms is None
                               else e.longest_lifetime_ms / 1000),
        "lifetime_shortened": e.shortened, "warns": e.warns,
        "last_seen_at": _iso(e.last_seen_ms), "previous_expires_at": _iso(e.previous_expires_ms),
    }


def expiry_note(e: ExpiryView, now_ms: int) -> str:
    left = e.left_s(now_ms)
    when = f"expired {format_duration(-left)} ago" if left <= 0 else f"in {format_duration(left)}"
    notes = [when]
    if not e.warns:
        notes.append("renewed by seamwatch")
    if e.shortened and e.lifetime_ms is not None and e.longest_lifetime_ms is not None:
        notes.append(f"lifetime {format_duration(e.lifetime_ms / 1000)}, was "
                     f"{format_duration(e.longest_lifetime_ms / 1000)}")
    return "; ".join(notes)


def print_status(config: Config, *, as_json: bool = False) -> int:
    rows, expiries = status_rows(config)
    now_ms = int(time.time() * 1000)
    if as_json:
        print(json.dumps({"probes": [_as_json(r, s) for r, s in rows],
                          "expiries": [expiry_json(e, now_ms) for e in expiries]}, indent=2))
    else:
        print(render_table(
            ("integration", "probe", "alert", "last run", "status", "category", "reason",
             "p95 1h", "uptime 24h"),
            [(r.integration, r.probe, _state(s), _age(r), r.last_status or "no runs",
              r.last_category, r.last_reason,
              "" if r.p95_latency_ms_1h is None else f"{r.p95_latency_ms_1h:.0f}ms",
              "" if r.uptime_24h is None else f"{r.uptime_24h:.2f}%") for r, s in rows],
        ))
        if expiries:
            print("\nExpiries, soonest first:")
            print(render_table(
                ("integration", "what", "subject", "expires", "when"),
                [(e.integration, e.kind.replace("_", " "), e.subject, _iso(e.expires_ms),
                  expiry_note(e, now_ms)) for e in expiries],
            ))
    firing = any(s is not None and s.state is AlertState.FIRING for _, s in rows)
    return 1 if firing else 0
