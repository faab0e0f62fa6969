"""The notice kinds: what a notice says (FIRING, RESOLVED, ...), one descriptor each.

Routes (`alerts.routing`) match on these names, renderings take their tag from here and the
webhook body carries the name and the alert state it stands for. A new kind (an issue adding,
say, certificate expiry notices) adds one `NoticeKindInfo` to `KINDS` (docs/architecture.md,
"An alert channel"); the state machine decides when a notice of that kind is owed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NoticeKindInfo:
    name: str  # as stored in alert_notices.kind / alert_outbox.kind (at most 16 characters)
    tag: str  # the word in subjects and titles: [FIRING] ...
    state: str  # the alert state the notice reports (webhook `state`)
    routable: bool = True  # `test` notices (seamwatch test-channel) bypass routing


KINDS: dict[str, NoticeKindInfo] = {
    k.name: k
    for k in (
        NoticeKindInfo("firing", "FIRING", "firing"),
        NoticeKindInfo("resolved", "RESOLVED", "ok"),
        NoticeKindInfo("degraded", "DEGRADED", "degraded"),
        NoticeKindInfo("reminder", "FIRING", "firing"),
        NoticeKindInfo("test", "TEST", "ok", routable=False),
        # SLO burn rates (alerts/burn.py, BurnNotice): a page, a ticket, and their end
        NoticeKindInfo("burn_rate", "BURN RATE", "firing"),
        NoticeKindInfo("burn_rate_ticket", "BURN RATE (ticket)", "degraded"),
        NoticeKindInfo("burn_resolved", "BURN RATE RESOLVED", "ok"),
        NoticeKindInfo("quota", "QUOTA", "degraded"),  # degraded by a rate-limit forecast
        # expiry warnings (alerts/expiry.py): a threshold crossed, and the renewal
        NoticeKindInfo("expiring", "EXPIRING", "degraded"),
        NoticeKindInfo("expiry_resolved", "RESOLVED", "ok"),
        # the period report (seamwatch/report_mail.py): queued straight into the outbox
        NoticeKindInfo("report", "REPORT", "ok", routable=False),
    )
}


def kind_info(name: str) -> NoticeKindInfo:
    """The descriptor of `name`; an unknown name (a row written by a newer version) is shown
    as its upper-cased name."""
    return KINDS.get(name) or NoticeKindInfo(name, name.upper(), name)


def routable_kinds() -> list[str]:
    return [k.name for k in KINDS.values() if k.routable]
