"""Rendering one burn-rate email (subject, plain text, HTML) for a group of notices of one kind
(`alerts.burn.BurnNotice`), with templates `burn.txt.j2` and `burn.html.j2` beside the alert
ones; like `alerts.render`, every string is redacted before it reaches the outbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from alerts.burn import WINDOWS_MS, BurnNotice
from alerts.render import MAX_DETAILED, MAX_LISTED, SUBJECT_MAX, Rendered, template
from core.redact import Redactor
from core.types import format_duration

_HTML = template("burn.html.j2")
_TEXT = template("burn.txt.j2")
_TAG = {BurnNotice.PAGE: "BURN RATE", BurnNotice.TICKET: "BURN RATE (ticket)",
        BurnNotice.RESOLVED: "BURN RATE RESOLVED"}


def slo_link(dashboard_url: str, integration: str, probe: str | None) -> str:
    """The dashboard's SLO page for one target."""
    base, _, query = dashboard_url.partition("?")
    params = {"integration": integration, **({"probe": probe} if probe else {})}
    return f"{base.rstrip('/')}/slo?{urlencode(params)}" + (f"&{query}" if query else "")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.3g}%"


def _view(p: Mapping[str, Any], dashboard_url: str) -> dict[str, Any]:
    rates = p.get("rates") or {}
    return {
        "target": p["target"],
        "objective": _pct(p.get("objective")),
        "window": format_duration(float(p.get("window_s") or 0)),
        "reason": p.get("reason") or "",
        "budget_used": _pct(p.get("budget_used")),
        "rates": [{"window": name, "rate": "–" if rates.get(name) is None
                   else f"{rates[name]:.1f}×"} for name in WINDOWS_MS],
        "link": slo_link(dashboard_url, p["integration"], p.get("probe")),
    }


def render_burn_group(
    kind: str,
    payloads: Sequence[Mapping[str, Any]],
    *,
    dashboard_url: str,
    redactor: Redactor,
    **_: Any,
) -> Rendered:
    """One email for `payloads` (all of `kind`, same recipients), redacted."""
    notice = BurnNotice(kind)
    views = [_view(p, dashboard_url) for p in payloads[:MAX_LISTED]]
    context = {"kind": str(notice), "tag": _TAG[notice], "detailed": views[:MAX_DETAILED],
               "brief": views[MAX_DETAILED:], "unlisted": max(0, len(payloads) - MAX_LISTED),
               "total": len(payloads), "dashboard_url": dashboard_url}
    first = views[0]["target"] if views else ""
    more = f", +{len(payloads) - 1} more" if len(payloads) > 1 else ""
    subject = redactor.redact_and_cut(f"[{_TAG[notice]}] SLO {first}{more}", SUBJECT_MAX)
    text, html = _TEXT.render(context), _HTML.render(context)
    return Rendered(subject, redactor.redact(text) or text, redactor.redact(html) or html)
