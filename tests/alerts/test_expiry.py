"""Expiry warnings (alerts/expiry.py): the rule as a table, then against a real database: one
EXPIRING notice per threshold crossed per item, never one per pass, RESOLVED after a renewal,
held during maintenance; and the email they render to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.expiry import EXPIRING, RESOLVED, Decision, ExpiryWarnings, decide
from alerts.render import render_group
from alerts.settings import Settings
from alerts.spec import MaintenanceSpec
from core.redact import Redactor
from probes.result import Expiry, ExpiryKind
from storage.database import Store, open_store
from storage.ingest.writer import ResultWriter
from storage.schema import alert_notices_t
from tests.alerts.conftest import T0, email_spec, make_config
from tests.storage.factories import result

DAY = 86_400_000
THRESHOLDS = (30 * DAY, 7 * DAY, DAY)
NOW = 1_800_000_000_000


@pytest.mark.parametrize(("left", "warned", "expected"), [
    # far away: nothing owed, nothing remembered
    (40 * DAY, None, Decision(None, None, None)),
    # crossing 30d: warn once
    (29 * DAY, None, Decision(EXPIRING, 30 * DAY, 30 * DAY)),
    # already warned at 30d: quiet while inside it
    (20 * DAY, 30 * DAY, Decision(None, None, 30 * DAY)),
    # crossing 7d next
    (6 * DAY, 30 * DAY, Decision(EXPIRING, 7 * DAY, 7 * DAY)),
    # first seen inside 30d and 7d: only the smallest is sent
    (5 * DAY, None, Decision(EXPIRING, 7 * DAY, 7 * DAY)),
    # a sliding expiry (always about 5 days away) stays inside 7d: nothing more
    (5 * DAY + 60_000, 7 * DAY, Decision(None, None, 7 * DAY)),
    # expired: told once more (threshold 0), then quiet
    (-1, DAY, Decision(EXPIRING, 0, 0)),
    (-DAY, 0, Decision(None, None, 0)),
    # renewed beyond every threshold: RESOLVED, memory cleared
    (90 * DAY, 7 * DAY, Decision(RESOLVED, None, None)),
    # renewed out of 7d but still inside 30d: RESOLVED, and 30d counts as told
    (20 * DAY, 7 * DAY, Decision(RESOLVED, None, 30 * DAY)),
])
def test_decide(left: int, warned: int | None, expected: Decision) -> None:
    assert decide(NOW + left, warned, THRESHOLDS, NOW) == expected


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'seamwatch.db'}")
    yield store
    store.close()


def settings(maintenance: list[MaintenanceSpec] | None = None) -> Settings:
    return Settings.from_config(make_config(email_spec(2525), ["idp/auth"], maintenance))


async def observe(store: Store, at: datetime, expires_at: datetime) -> None:
    run = replace(result("idp", "auth", at=at), expiries=[
        Expiry(ExpiryKind.REFRESH_TOKEN, "refresh token", expires_at.timestamp())])
    async with ResultWriter(store) as writer:
        writer.submit(run)


def owed(store: Store) -> list[tuple[str, str]]:
    t = alert_notices_t
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.kind, t.c.payload).order_by(t.c.id)).all()
    return [(kind, payload["message"]) for kind, payload in rows]


async def test_one_notice_per_threshold_then_resolved(sqlite_store: Store) -> None:
    warnings, s = ExpiryWarnings(sqlite_store, Redactor()), settings()
    expires = T0 + timedelta(days=8)
    await observe(sqlite_store, T0, expires)
    for hours in range(0, 24 * 2, 6):  # two days of passes: 30d is crossed at once, 7d later
        warnings.evaluate(s, T0 + timedelta(hours=hours))
    assert [k for k, _ in owed(sqlite_store)] == [EXPIRING, EXPIRING]
    assert owed(sqlite_store)[0][1] == "refresh token expires in 8d"
    await observe(sqlite_store, T0 + timedelta(days=2), T0 + timedelta(days=60))  # renewed
    for hours in range(48, 60, 3):
        warnings.evaluate(s, T0 + timedelta(hours=hours))
    assert [k for k, _ in owed(sqlite_store)] == [EXPIRING, EXPIRING, RESOLVED]


async def test_maintenance_holds_the_warning(sqlite_store: Store) -> None:
    window = MaintenanceSpec.model_validate(  # T0 is a Monday 09:00 UTC
        {"name": "idp-upgrade", "integrations": ["idp"], "cron": "0 9 * * 1", "duration": "2h"})
    await observe(sqlite_store, T0, T0 + timedelta(days=3))
    warnings = ExpiryWarnings(sqlite_store, Redactor())
    assert warnings.evaluate(settings([window]), T0 + timedelta(hours=1)) == 0
    assert warnings.evaluate(settings([window]), T0 + timedelta(hours=3)) == 1


def test_the_email_says_what_expires_and_what_to_renew() -> None:
    payload = {"integration": "idp", "probe": "auth", "kind": "expiring",
               "at": "2026-12-01T04:00:00+00:00", "expiry_kind": "certificate",
               "subject": "api.idp.test:443", "expires_at": "2026-12-08T04:00:00+00:00",
               "left_s": 7 * 86400.0, "threshold_s": 7 * 86400.0,
               "message": "certificate api.idp.test:443 expires in 7d",
               "renew": "renew the TLS certificate served at api.idp.test:443"}
    mail = render_group("expiring", [payload], others={}, dashboard_url="http://dash.test",
                        flap_window_s=3600, redactor=Redactor())
    assert mail.subject == "[EXPIRING] idp: certificate api.idp.test:443 expires in 7d"
    assert "To renew:     renew the TLS certificate served at api.idp.test:443" in mail.text
    assert "DEGRADED" not in mail.text and "To renew" in mail.html
