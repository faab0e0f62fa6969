"""`notifications.reports` (or `email.reports`) `{every: weekly, to: [...]}`: `serve` queues the
period report
(`seamwatch.period_report`, period = `every`) as an outbox email (kind `report`) whenever none was
queued within `every`; the alert service delivers it like any alert email. The outbox is the
memory, so a restart does not send it again.
"""

from __future__ import annotations

import html

import sqlalchemy as sa

from alerts.channels.email import EmailChannel
from alerts.message import new_message_id
from alerts.repo import AlertRepo
from alerts.spec import ReportsSpec
from core.redact import Redactor
from core.types import format_duration
from seamwatch.config import Config
from seamwatch.period_report import PeriodReport, as_text, build_report
from storage.codes import from_ms
from storage.coordination import ALERTS_LOCK, xact_lock
from storage.database import Store
from storage.schema import alert_outbox_t

KIND = "report"


def _subject(report: PeriodReport) -> str:
    spent = [r.integration for r in report.integrations
             if r.budget_used_pct is not None and r.budget_used_pct >= 100]
    incidents = sum(len(r.incidents) for r in report.integrations)
    tail = f"; error budget spent: {', '.join(spent)}" if spent else ""
    return (f"[REPORT] seamwatch, last {format_duration(report.period_s)}: "
            f"{len(report.integrations)} integrations, {incidents} incidents{tail}")[:200]


def _html(text: str, dashboard_url: str) -> str:
    link = html.escape(dashboard_url, quote=True)
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>seamwatch report</title>'
            f"</head><body><pre style=\"font-size: 13px;\">{html.escape(text)}</pre>"
            f'<p><a href="{link}/slo">SLOs in the dashboard</a> · '
            f'<a href="{link}">{link}</a></p></body></html>')


def _sender(config: Config) -> tuple[ReportsSpec, str, EmailChannel] | None:
    """The report's spec, and the email channel (name and settings) that sends it."""
    alerting = config.alerting
    spec = alerting.notify.reports
    if spec is None:
        return None
    emails = {name: c for name, c in alerting.channels.items() if isinstance(c, EmailChannel)}
    name = spec.channel or next(iter(emails), None)
    if name is None or name not in emails:
        return None
    return spec, name, emails[name]


def queue_due_report(store: Store, config: Config, redactor: Redactor, now_ms: int) -> bool:
    """Queue the report email if one is due; True when it was queued."""
    found = _sender(config)
    if found is None:
        return False
    spec, channel, email = found
    repo = AlertRepo(store)
    if not _due(repo.last_outbox_ms(KIND), spec.every, now_ms):
        return False
    recipients = spec.to or email.to
    if not recipients:
        return False
    dashboard_url = config.alerting.notify.dashboard_url
    report = build_report(config, store, spec.every, now_ms)
    text = redactor.redact(as_text(report)) or ""
    page = redactor.redact(_html(text, dashboard_url)) or ""
    with store.write() as conn:
        # Of several runners sharing the database one queues it (docs/runners.md).
        if not xact_lock(conn, ALERTS_LOCK, wait=False):
            return False
        last = conn.execute(sa.select(sa.func.max(alert_outbox_t.c.created_ms))
                            .where(alert_outbox_t.c.kind == KIND)).scalar()
        if not _due(None if last is None else int(last), spec.every, now_ms):
            return False
        repo.add_outbox(conn, from_ms(now_ms), message_id=new_message_id(email.from_), kind=KIND,
                        recipients="\n".join(sorted(recipients, key=str.lower)),
                        subject=redactor.redact(_subject(report)) or "", text=text, html=page,
                        notice_ids=[], channel=channel)
    return True


def _due(last_ms: int | None, every_s: float, now_ms: int) -> bool:
    return last_ms is None or now_ms - last_ms >= every_s * 1000
