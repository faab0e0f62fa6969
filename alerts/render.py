"""Rendering a group of notices of one kind: one email (subject, plain text, HTML) or one chat
message (title, plain text or Markdown).

Templates live in `alerts/templates/`; the HTML one is autoescaped. Every rendered string is
passed through the redactor before it is stored in the outbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from alerts.kinds import kind_info
from core.redact import Redactor
from core.types import format_duration

MAX_DETAILED = 10  # alerts shown with full details; the rest as one line each
MAX_LISTED = 200  # beyond this, a count and the dashboard link
SUBJECT_MAX = 200

_ENV_ARGS: dict[str, Any] = {
    "loader": jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    "trim_blocks": True,
    "lstrip_blocks": True,
    "undefined": jinja2.StrictUndefined,
}
_HTML = jinja2.Environment(autoescape=True, **_ENV_ARGS).get_template("alert.html.j2")
_TEXT = jinja2.Environment(autoescape=False, **_ENV_ARGS).get_template("alert.txt.j2")
_MARKDOWN = jinja2.Environment(autoescape=False, **_ENV_ARGS).get_template("alert.md.j2")


def template(name: str) -> jinja2.Template:
    """A template of `alerts/templates/`, autoescaped when it is HTML (`*.html.j2`)."""
    return jinja2.Environment(autoescape=name.endswith(".html.j2"),
                              **_ENV_ARGS).get_template(name)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def probe_link(dashboard_url: str, integration: str, probe: str) -> str:
    sep = "&" if "?" in dashboard_url else "?"
    return f"{dashboard_url}{sep}{urlencode({'integration': integration, 'probe': probe})}"


def _when(iso: str | None) -> str:
    if not iso:
        return "unknown"
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S UTC")


def _headline(kind: str, p: Mapping[str, Any]) -> str:
    if p.get("expiry_kind"):  # an expiry warning (alerts/expiry.py)
        return f"{p['integration']}: {p.get('message')}"
    if p.get("target"):  # an SLO burn-rate notice (alerts/burn.py)
        return f"SLO {p['target']} — {p.get('reason') or kind_info(kind).tag.lower()}"
    key = f"{p['integration']}/{p['probe']}"
    if kind == "resolved":
        lasted = p.get("lasted_s")
        return f"{key} — resolved" + (f" after {format_duration(lasted)}" if lasted else "")
    if kind == "test":
        return f"{key} — test notice"
    if kind == "degraded":
        return f"{key} — degraded: {p.get('degraded_reason') or 'slow or retried runs'}"
    if kind == "quota":
        return f"{key} — {p.get('degraded_reason') or 'rate-limit quota running out'}"
    cause = f"{p.get('category')}: {p.get('reason')}" if p.get("category") else "failing"
    return f"{key} — {cause}"


def _subject(kind: str, payloads: Sequence[Mapping[str, Any]], redactor: Redactor) -> str:
    """One line, redacted whole and then cut to SUBJECT_MAX characters."""
    tag = kind_info(kind).tag
    first = _headline(kind, payloads[0])
    if kind == "reminder":
        first += f" (still firing after {format_duration(payloads[0].get('firing_for_s') or 0)})"
    if len(payloads) == 1:
        subject = f"[{tag}] {first}"
    else:
        still = " still firing" if kind == "reminder" else ""
        subject = f"[{tag}] {len(payloads)} alerts{still}: {first}, +{len(payloads) - 1} more"
    return redactor.redact_and_cut(" ".join(subject.split()), SUBJECT_MAX)


def _alert_view(
    kind: str,
    p: Mapping[str, Any],
    others: Mapping[str, Sequence[tuple[str, str]]],
    dashboard_url: str,
) -> dict[str, Any]:
    since = p.get("incident_start")
    return {
        "key": f"{p['integration']}/{p['probe']}",
        "headline": _headline(kind, p),
        "category": p.get("category"),
        "reason": p.get("reason"),
        "message": p.get("message"),
        "renew": p.get("renew"),
        "failed_step": p.get("failed_step"),
        "http_status": p.get("http_status"),
        "degraded_reason": p.get("degraded_reason"),
        "since": _when(since) if since else None,
        "lasted": format_duration(p["lasted_s"]) if p.get("lasted_s") else None,
        "firing_for": format_duration(p["firing_for_s"]) if p.get("firing_for_s") else None,
        "flaps": int(p.get("flaps") or 0),
        "after_maintenance": p.get("after_maintenance"),
        "recent": [
            {
                "at": _when(r.get("at")),
                "status": r.get("status"),
                "latency": f"{r.get('latency_ms', 0):.0f} ms",
                "cause": r.get("cause") or "",
            }
            for r in p.get("recent") or []
        ],
        "others": [
            {"probe": name, "state": state}
            for name, state in others.get(p["integration"], ())
            if name != p["probe"]
        ],
        "link": probe_link(dashboard_url, p["integration"], p["probe"]),
    }


def _context(
    kind: str, payloads: Sequence[Mapping[str, Any]],
    others: Mapping[str, Sequence[tuple[str, str]]], dashboard_url: str, flap_window_s: float,
) -> dict[str, Any]:
    views = [_alert_view(kind, p, others, dashboard_url) for p in payloads[:MAX_LISTED]]
    return {
        "kind": kind,
        "tag": kind_info(kind).tag,
        "detailed": views[:MAX_DETAILED],
        "brief": views[MAX_DETAILED:],
        "unlisted": max(0, len(payloads) - MAX_LISTED),
        "total": len(payloads),
        "dashboard_url": dashboard_url,
        "flap_window": format_duration(flap_window_s),
    }


def render_group(
    kind: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    others: Mapping[str, Sequence[tuple[str, str]]],
    dashboard_url: str,
    flap_window_s: float,
    redactor: Redactor,
) -> Rendered:
    """One email for `payloads` (all of `kind`, same recipients), redacted."""
    context = _context(kind, payloads, others, dashboard_url, flap_window_s)
    subject = _subject(kind, payloads, redactor)
    text = _TEXT.render(context)
    html = _HTML.render(context)
    return Rendered(
        subject,
        redactor.redact(text) or text,
        redactor.redact(html) or html,
    )


def render_message(
    kind: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    markdown: bool,
    others: Mapping[str, Sequence[tuple[str, str]]],
    dashboard_url: str,
    flap_window_s: float,
    redactor: Redactor,
) -> tuple[str, str]:
    """A chat message for `payloads`: (title, body), the body as plain text or Markdown,
    redacted. (Apprise sizes it to each service's limits.)"""
    context = _context(kind, payloads, others, dashboard_url, flap_window_s)
    body = (_MARKDOWN if markdown else _TEXT).render(context)
    return _subject(kind, payloads, redactor), redactor.redact(body) or body


def subject_line(kind: str, payload: Mapping[str, Any], redactor: Redactor) -> str:
    """The one-line summary of a single notice (the webhook's `summary`)."""
    return _subject(kind, [payload], redactor)
