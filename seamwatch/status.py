"""`seamwatch status`: each probe's latest run, p95 latency over the last hour and uptime over
24 h, read from the database that `serve` (or `once`) writes; with several locations the same
per location, the runners that registered (docs/runners.md, "Health of the fleet"), and the
expiry list (what runs saw will expire, soonest first)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
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
from storage.reads.locations import LocationStatus, location_status
from storage.reads.queries import ProbeStatus, probe_status
from storage.reads.runners import RunnerRow, runners


def _at(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "never"


Row = tuple[ProbeStatus, ProbeState | None]


@dataclass
class StatusReport:
    rows: list[Row]
    locations: list[LocationStatus] = field(default_factory=list)
    runners: list[RunnerRow] = field(default_factory=list)
    expiries: list[ExpiryView] = field(default_factory=list)


def status_report(config: Config) -> StatusReport:
    """The configured probes' status and alert state (probes retired from the config are left
    out), per location, the runners and the expiries. The alert state is what `serve` last
    recorded; none before its first evaluation."""
    store = open_store(config.storage_url)
    try:
        rows = probe_status(store)
        states = AlertRepo(store).load_states()
        per_location = location_status(store)
        fleet = runners(store, config.runner.lease)
        expiries = list_expiries(store, [i.name for i in config.integrations])
    finally:
        store.close()
    wanted = {e.key for e in config.entries}
    return StatusReport(
        [(r, states.get((r.integration, r.probe))) for r in rows
         if f"{r.integration}/{r.probe}" in wanted],
        [x for x in per_location if f"{x.integration}/{x.probe}" in wanted], fleet, expiries)


def _state(state: ProbeState | None) -> str:
    return str(state.state) if state else "unknown"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}ms"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}%"


def _location_json(x: LocationStatus) -> dict[str, Any]:
    return {
        "location": x.location, "status": str(x.last_status),
        "category": str(x.last_category) if x.last_category else None,
        "reason": x.last_reason, "last_run_at": _at(x.last_started_at),
        "latency_ms": x.last_latency_ms, "p95_latency_ms_1h": x.p95_latency_ms_1h,
        "uptime_24h": x.uptime_24h, "runs_24h": x.runs_24h,
    }


def _as_json(row: ProbeStatus, state: ProbeState | None,
             locations: list[LocationStatus]) -> dict[str, Any]:
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
        "locations": [_location_json(x) for x in locations],
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


def expiries_table(expiries: list[ExpiryView], now_ms: int) -> str:
    return "Expiries, soonest first:\n" + render_table(
        ("integration", "what", "subject", "expires", "when"),
        [(e.integration, e.kind.replace("_", " "), e.subject, _iso(e.expires_ms),
          e.when(now_ms, lambda ms: format_duration(ms / 1000))) for e in expiries],
    )


def runner_json(r: RunnerRow) -> dict[str, Any]:
    return {
        "id": r.id, "location": r.location, "host": r.host, "pid": r.pid,
        "version": r.version, "started_at": _at(r.started_at),
        "heartbeat_at": _at(r.heartbeat_at), "heartbeat_age_s": round(r.heartbeat_age_s, 1),
        "probes_owned": r.probes_owned, "probes_total": r.probes_total, "state": r.state,
    }


def _tables(report: StatusReport) -> str:
    out = [render_table(
        ("integration", "probe", "alert", "last run", "status", "category", "reason",
         "p95 1h", "uptime 24h"),
        [(r.integration, r.probe, _state(s), _at(r.last_started_at),
          r.last_status or "no runs", r.last_category, r.last_reason,
          _ms(r.p95_latency_ms_1h), _pct(r.uptime_24h)) for r, s in report.rows],
    )]
    if len({x.location for x in report.locations}) > 1:
        out.append(render_table(
            ("integration", "probe", "location", "last run", "status", "category", "p95 1h",
             "uptime 24h"),
            [(x.integration, x.probe, x.location, _at(x.last_started_at), x.last_status,
              x.last_category, _ms(x.p95_latency_ms_1h), _pct(x.uptime_24h))
             for x in report.locations],
        ))
    if report.runners:
        out.append(runners_table(report.runners))
    if report.expiries:
        out.append(expiries_table(report.expiries, int(time.time() * 1000)))
    return "\n\n".join(out)


def runners_table(rows: list[RunnerRow]) -> str:
    return render_table(
        ("location", "runner", "host", "version", "started", "last heartbeat", "probes",
         "state"),
        [(r.location, r.id, f"{r.host}:{r.pid}", r.version, _at(r.started_at),
          f"{r.heartbeat_age_s:.0f}s ago", f"{r.probes_owned}/{r.probes_total}",
          r.state.upper() if r.state == "silent" else r.state) for r in rows],
    )


def print_status(config: Config, *, as_json: bool = False, only_runners: bool = False) -> int:
    report = status_report(config)
    if only_runners:
        print(json.dumps([runner_json(r) for r in report.runners], indent=2) if as_json
              else runners_table(report.runners))
    elif as_json:
        by_probe: dict[tuple[str, str], list[LocationStatus]] = {}
        for x in report.locations:
            by_probe.setdefault((x.integration, x.probe), []).append(x)
        now_ms = int(time.time() * 1000)
        print(json.dumps({
            "probes": [_as_json(r, s, by_probe.get((r.integration, r.probe), []))
                       for r, s in report.rows],
            "expiries": [expiry_json(e, now_ms) for e in report.expiries],
            "runners": [runner_json(r) for r in report.runners],
        }, indent=2))
    else:
        print(_tables(report))
    firing = any(s is not None and s.state is AlertState.FIRING for _, s in report.rows)
    return 1 if firing else 0
