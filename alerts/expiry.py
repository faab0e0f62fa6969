"""Expiry warnings: one EXPIRING notice per warning threshold crossed per item (never one per
run), and one RESOLVED (`expiry_resolved`) once it has been renewed (docs/alerts.md, "Expiry
warnings").

The items are the rows of `expiries` that warn (everything but access tokens, which seamwatch
renews itself; storage/ingest/expiries.py keeps them). `decide` is the whole rule, pure and
table-tested: the thresholds are the probe's `alerts.expiry_warning` (30d, 7d, 1d) plus the
expiry itself, so an item that has expired is told once more; when an item is first seen inside
several thresholds, only the smallest is sent. The row remembers the smallest threshold sent
(`warned_ms`, and for the record which expiry it was about, `warned_for_ms`); a later expiry is a
renewal only once it has left the threshold warned about: a refresh token whose expiry slides
forward with every refresh, always 5 days away, stays one EXPIRING notice. Maintenance holds an
integration's warnings until its window ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from alerts.repo import AlertRepo, NewNotice
from alerts.settings import Settings
from core.redact import Redactor
from core.types import format_duration
from storage.codes import to_ms
from storage.coordination import ALERTS_LOCK, xact_lock
from storage.database import Store
from storage.schema.expiries import expiries_t

EXPIRING = "expiring"
RESOLVED = "expiry_resolved"
EVERY = timedelta(minutes=1)

_RENEW_HINT = {
    "refresh_token": "obtain a new refresh token (authorize again) and update auth.refresh_token",
    "token": "issue a new token and update the integration's auth",
    "declared": "rotate the secret, update auth, and set auth.expires_at to the new date",
    "certificate": "renew the TLS certificate served at {subject}",
    "intermediate": "the CA certificate {subject} in the served chain expires: install the "
                    "chain your CA issues now",
}


@dataclass(frozen=True, slots=True)
class Decision:
    kind: str | None  # EXPIRING, RESOLVED or None
    threshold_ms: int | None  # the threshold crossed (EXPIRING)
    warned_ms: int | None  # the warning memory to keep


def decide(expires_ms: int, warned_ms: int | None, thresholds_ms: Sequence[int],
           now_ms: int) -> Decision:
    """What one item owes now: its level is the smallest threshold it is inside (0 once
    expired). A deeper level than the one warned about owes EXPIRING; a level above it (or none)
    means a later expiry was seen, a renewal, and owes RESOLVED."""
    left = expires_ms - now_ms
    crossed = [t for t in (*thresholds_ms, 0) if left <= t]
    level = min(crossed) if crossed else None
    if warned_ms is not None and (level is None or level > warned_ms):
        return Decision(RESOLVED, None, level)
    if level is not None and (warned_ms is None or level < warned_ms):
        return Decision(EXPIRING, level, level)
    return Decision(None, None, warned_ms)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def notice_payload(row: Any, decision: Decision, now_ms: int) -> dict[str, Any]:
    left_s = (row.expires_ms - now_ms) / 1000
    what = row.kind.replace("_", " ")
    label = row.subject if what in row.subject else f"{what} {row.subject}"
    if decision.kind == RESOLVED:
        message = f"renewed: {label} now expires {_iso(row.expires_ms)}"
    elif left_s <= 0:
        message = f"{label} expired {format_duration(-left_s)} ago"
    else:
        message = f"{label} expires in {format_duration(left_s)}"
    return {
        "integration": row.integration, "probe": row.probe, "kind": decision.kind,
        "at": _iso(now_ms), "expiry_kind": row.kind, "subject": row.subject,
        "expires_at": _iso(row.expires_ms), "left_s": left_s,
        "threshold_s": None if decision.threshold_ms is None else decision.threshold_ms / 1000,
        "message": message,
        "renew": _RENEW_HINT.get(row.kind, "renew it").format(subject=row.subject),
    }


class ExpiryWarnings:
    """Evaluated by the alert service's tick: once a minute, and after runs saw expiries."""

    def __init__(self, store: Store, redactor: Redactor) -> None:
        self.repo = AlertRepo(store)
        self.redactor = redactor
        self._last: datetime | None = None
        self._news = False

    def seen_new(self) -> None:
        """Runs that saw expiries were committed: evaluate on the next tick, not a minute on."""
        self._news = True

    def maybe_evaluate(self, s: Settings, now: datetime) -> int:
        """`evaluate` once a minute (thresholds are crossed by time passing), and soon after
        runs saw expiries (a renewal, a new item)."""
        due = self._news or self._last is None or now - self._last >= EVERY
        if not s.notifying or not due:
            return 0
        self._last, self._news = now, False
        return self.evaluate(s, now)

    def evaluate(self, s: Settings, now: datetime) -> int:
        """One pass over every warning item, in one transaction under the alert lock (so of
        several runners one decides; docs/runners.md, "One evaluator"); returns the notices
        owed (0 also when another runner holds the lock)."""
        t = expiries_t
        now_ms = to_ms(now)
        silence = s.calendar.silencing(now) if s.calendar else None
        notices: list[NewNotice] = []
        updates: list[dict[str, Any]] = []
        with self.repo.store.write() as conn:
            if not xact_lock(conn, ALERTS_LOCK, wait=False):
                return 0
            rows = conn.execute(sa.select(t).where(t.c.kind != "access_token")).all()
            for row in rows:
                if not s.knows(row.integration, row.probe):
                    continue  # an item of a probe no longer configured
                if silence is not None and silence.window_for(row.integration) is not None:
                    continue  # held until the maintenance window ends
                thresholds = [int(w * 1000) for w in s.policy(row.integration, row.probe)
                              .expiry_warning]
                decision = decide(row.expires_ms, row.warned_ms, thresholds, now_ms)
                warned_for = (row.expires_ms if decision.kind == EXPIRING
                              else None if decision.warned_ms is None else row.warned_for_ms)
                if (decision.warned_ms, warned_for) != (row.warned_ms, row.warned_for_ms):
                    updates.append({"i": row.integration, "k": row.kind, "s": row.subject,
                                    "w": decision.warned_ms, "f": warned_for})
                if decision.kind is not None:
                    notices += self._notices(s, row, decision, now_ms)
            if updates:
                conn.execute(t.update().where(
                    t.c.integration == sa.bindparam("i"), t.c.kind == sa.bindparam("k"),
                    t.c.subject == sa.bindparam("s"),
                ).values(warned_ms=sa.bindparam("w"), warned_for_ms=sa.bindparam("f")),
                    updates)
            if notices:
                self.repo.save(conn, now, [], [], notices)
        return len(notices)

    def _notices(self, s: Settings, row: Any, decision: Decision,
                 now_ms: int) -> list[NewNotice]:
        assert decision.kind is not None
        payload = notice_payload(row, decision, now_ms)
        payload["message"] = self.redactor.redact(payload["message"])
        return s.owed(row.integration, row.probe, decision.kind, payload)
