"""The expiry list: everything runs saw will expire, soonest first (storage/schema/expiries.py),
for `seamwatch status`, the dashboard, `/metrics`, the report and the expiry warnings."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

import sqlalchemy as sa

from storage.database import Store
from storage.schema.expiries import expiries_t

SHORTENED = 0.9  # a lifetime under this share of the longest seen is a finding


@dataclass(frozen=True, slots=True)
class ExpiryView:
    integration: str
    kind: str
    subject: str
    probe: str
    expires_ms: int
    lifetime_ms: int | None
    longest_lifetime_ms: int | None
    last_seen_ms: int
    previous_expires_ms: int | None

    @property
    def warns(self) -> bool:
        """Whether seamwatch warns ahead of it (it renews access tokens itself)."""
        return self.kind != "access_token"

    @property
    def shortened(self) -> bool:
        """The provider issues it for a noticeably shorter time than it used to."""
        return (self.lifetime_ms is not None and self.longest_lifetime_ms is not None
                and self.lifetime_ms < SHORTENED * self.longest_lifetime_ms)

    def left_s(self, now_ms: int) -> float:
        return (self.expires_ms - now_ms) / 1000.0

    def when(self, now_ms: int, duration: Callable[[float], str]) -> str:
        """"in 5d" / "expired 2h ago", then what else is worth saying (renewed by seamwatch, a
        shortened lifetime); `duration` writes milliseconds the caller's way."""
        left = self.expires_ms - now_ms
        notes = [f"expired {duration(-left)} ago" if left <= 0 else f"in {duration(left)}"]
        if not self.warns:
            notes.append("renewed by seamwatch")
        if self.shortened and self.lifetime_ms is not None and self.longest_lifetime_ms is not None:
            notes.append(f"lifetime {duration(self.lifetime_ms)}, was "
                         f"{duration(self.longest_lifetime_ms)}")
        return "; ".join(notes)


def list_expiries(store: Store, integrations: Collection[str] | None = None) -> list[ExpiryView]:
    """Every known expiry (of `integrations` when given), soonest first."""
    t = expiries_t
    query = sa.select(
        t.c.integration, t.c.kind, t.c.subject, t.c.probe, t.c.expires_ms, t.c.lifetime_ms,
        t.c.longest_lifetime_ms, t.c.last_seen_ms, t.c.previous_expires_ms,
    ).order_by(t.c.expires_ms, t.c.integration, t.c.kind, t.c.subject)
    if integrations is not None:
        query = query.where(t.c.integration.in_(list(integrations)))
    with store.engine.connect() as conn:
        return [ExpiryView(*row) for row in conn.execute(query)]
