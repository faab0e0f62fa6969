"""`seamwatch report --period 30d [--format text|json|csv]` and the `email.reports` email: per
integration over the period, SLO attainment and budget used (runs in maintenance windows left
out), incidents with durations and MTTR, p50/p95 latency, the top failure categories, and the
expiries in the next 30 days (storage/reads/expiries.py).

(`seamwatch/report.py` is how `once` and `status` present single results; this module is the
period report.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.settings import Settings, SloTarget
from alerts.slo_eval import SloCounter
from core.slo import SloSpec
from core.types import format_duration, parse_duration
from seamwatch.config import Config
from seamwatch.errors import UserError
from seamwatch.report import render_table
from seamwatch.status import expiry_json
from storage.codes import now_ms
from storage.database import Store, open_store
from storage.reads import alert_history, analytics
from storage.reads.expiries import list_expiries
from storage.reads.slo import failure_categories

TOP_CATEGORIES = 3
EXPIRY_HORIZON_S = 30 * 86400.0
FORMATS = ("text", "json", "csv")


@dataclass(slots=True)
class IncidentLine:
    probe: str
    start: str  # ISO 8601, UTC
    duration_s: float
    ongoing: bool
    cause: str


@dataclass(slots=True)
class IntegrationReport:
    integration: str
    objective_pct: float | None  # None: no `slo:` for this integration
    runs: int
    failed: int
    attainment_pct: float | None  # good share of the counted runs; None without runs
    budget_used_pct: float | None  # failed share / (1 - objective); None without an objective
    p50_ms: float | None
    p95_ms: float | None
    incidents: list[IncidentLine] = field(default_factory=list)
    mttr_s: float | None = None  # mean duration of the resolved incidents
    top_categories: list[tuple[str, int]] = field(default_factory=list)
    expiries: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class PeriodReport:
    start: str
    end: str
    period_s: float
    integrations: list[IntegrationReport]


def _expiries(store: Store, names: list[str], now_ms: int, horizon_s: float
              ) -> dict[str, list[dict[str, Any]]]:
    """Integration -> what expires within `horizon_s` (credentials, secrets, certificates;
    not access tokens, which seamwatch renews), soonest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for e in list_expiries(store, names):
        if e.warns and e.left_s(now_ms) <= horizon_s:
            out.setdefault(e.integration, []).append(expiry_json(e, now_ms))
    return out


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def build_report(config: Config, store: Store, period_s: float,
                 now: int | None = None) -> PeriodReport:
    end = now if now is not None else now_ms()
    start = end - int(period_s * 1000)
    settings = Settings.from_config(config)
    probes: dict[str, list[str]] = {}
    for e in config.entries:
        probes.setdefault(e.integration.name, []).append(e.probe.name)
    own: dict[str, SloSpec | None] = {e.integration.name: e.integration.slo
                                      for e in config.entries}
    placeholder = SloSpec(objective=0.999)  # counting only; the objective is `own`'s
    targets = [SloTarget(name, None, tuple(ps), own[name] or placeholder)
               for name, ps in probes.items()]
    counted = {tc.target.integration: tc.windows["period"] for tc in
               SloCounter(store).count(settings, targets, end, {"period": end - start})}
    overview = {o.name: o for o in analytics.overview(store, start, end, now=end)}
    found = alert_history.incidents(alert_history.events(store, start, end))
    categories = failure_categories(store, start, end)
    expiries = _expiries(store, list(probes), end, EXPIRY_HORIZON_S)
    out: list[IntegrationReport] = []
    for name in probes:
        c = counted[name]
        spec = own[name]
        attainment = 100.0 * (c.runs - c.failed) / c.runs if c.runs else None
        used = (100.0 * c.failed / (c.runs * spec.budget)) if spec and c.runs else None
        ov = overview.get(name)
        mine = [i for i in found if i.integration == name]
        resolved = [i.duration_ms(end) for i in mine if i.end_ms is not None]
        out.append(IntegrationReport(
            name, None if spec is None else 100.0 * spec.objective, c.runs, c.failed,
            attainment, used, ov.p50_ms if ov else None, ov.p95_ms if ov else None,
            [IncidentLine(i.probe, _iso(i.start_ms), i.duration_ms(end) / 1000,
                          i.end_ms is None, i.cause) for i in sorted(mine, key=lambda i:
                                                                     i.start_ms)],
            sum(resolved) / len(resolved) / 1000 if resolved else None,
            categories[name].most_common(TOP_CATEGORIES) if name in categories else [],
            expiries.get(name, []),
        ))
    return PeriodReport(_iso(start), _iso(end), period_s, out)


def _pct(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} ms"


def _cats(items: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{c} {n}" for c, n in items) or "none"


def as_text(report: PeriodReport) -> str:
    lines = [f"seamwatch report {report.start} – {report.end} "
             f"({format_duration(report.period_s)})", ""]
    rows = [(r.integration, _pct(r.objective_pct), _pct(r.attainment_pct),
             _pct(r.budget_used_pct, 1), r.runs, r.failed, len(r.incidents),
             "–" if r.mttr_s is None else format_duration(r.mttr_s), _ms(r.p50_ms),
             _ms(r.p95_ms)) for r in report.integrations]
    lines.append(render_table(("integration", "objective", "attainment", "budget used", "runs",
                               "failed", "incidents", "mttr", "p50", "p95"), rows))
    for r in report.integrations:
        lines += ["", f"== {r.integration}",
                  f"top failure categories: {_cats(r.top_categories)}"]
        for i in r.incidents:
            lasted = format_duration(i.duration_s) + (" (ongoing)" if i.ongoing else "")
            lines.append(f"incident: {i.start}  {i.probe}  {lasted}  {i.cause}")
        soon = ", ".join(f"{e['kind'].replace('_', ' ')} {e['subject']} {e['expires_at']}"
                         for e in r.expiries)
        lines.append(f"expiries in the next 30 days: {soon or 'none known'}")
    return "\n".join(lines)


def as_json(report: PeriodReport) -> str:
    return json.dumps(asdict(report), indent=2)


CSV_COLUMNS = ("integration", "objective_pct", "attainment_pct", "budget_used_pct", "runs",
               "failed", "incidents", "incident_seconds", "mttr_s", "p50_ms", "p95_ms",
               "top_categories", "expiries_30d")


def as_csv(report: PeriodReport) -> str:
    """One row per integration; incidents as a count and total seconds, categories as
    `name:count` joined by `;`."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in report.integrations:
        writer.writerow([
            r.integration, _num(r.objective_pct), _num(r.attainment_pct),
            _num(r.budget_used_pct), r.runs, r.failed, len(r.incidents),
            round(sum(i.duration_s for i in r.incidents)), _num(r.mttr_s), _num(r.p50_ms),
            _num(r.p95_ms), ";".join(f"{c}:{n}" for c, n in r.top_categories),
            len(r.expiries),
        ])
    return buf.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def render(report: PeriodReport, fmt: str) -> str:
    return {"text": as_text, "json": as_json, "csv": as_csv}[fmt](report)


class BadPeriod(UserError):
    pass


def print_report(config: Config, period: str, fmt: str) -> int:
    """`seamwatch report`: exit 0, or 2 for a period that is not a duration."""
    try:
        period_s = parse_duration(period)
    except ValueError as exc:
        raise BadPeriod(f"--period: {exc}") from None
    if period_s <= 0:
        raise BadPeriod("--period: expected a positive duration such as 30d")
    store = open_store(config.storage_url)
    try:
        text = render(build_report(config, store, period_s), fmt)
    finally:
        store.close()
    print(text, end="" if text.endswith("\n") else "\n")
    return 0
