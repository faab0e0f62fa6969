"""Ingest keeps one row per expiry (storage/ingest/expiries.py): the newest observation wins, a
renewal keeps the expiry before it, the longest lifetime is remembered (so a shortened one
shows), and a late, older observation changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from probes.result import Expiry, ExpiryKind, ProbeResult
from storage.database import Store
from storage.ingest.writer import ResultWriter
from storage.reads.expiries import list_expiries
from tests.storage.factories import T0, result

HOUR = 3600.0
BASE = T0.timestamp()


def seen(minutes: int, *expiries: Expiry) -> ProbeResult:
    return replace(result("idp", "auth", at=T0 + timedelta(minutes=minutes)),
                   expiries=list(expiries))


def token(expires_after_h: float, lifetime_h: float) -> Expiry:
    return Expiry(ExpiryKind.ACCESS_TOKEN, "access token", BASE + expires_after_h * HOUR,
                  lifetime_h * HOUR)


async def write(store: Store, *runs: ProbeResult) -> None:
    async with ResultWriter(store) as writer:
        for run in runs:
            writer.submit(run)


async def test_renewals_lifetimes_and_late_observations(any_store: Store) -> None:
    cert = Expiry(ExpiryKind.CERTIFICATE, "api.idp.test:443", BASE + 30 * 86400)
    await write(any_store, seen(0, token(1, 1), cert), seen(30, token(1.5, 1), cert))
    await write(any_store, seen(60, token(1.25, 0.25)))  # the IdP shortened its tokens
    await write(any_store, seen(10, token(9, 9)))  # a late, older run: ignored
    first, second = list_expiries(any_store)
    assert (first.kind, first.subject) == ("access_token", "access token")
    assert first.expires_ms == int((BASE + 1.25 * HOUR) * 1000)
    assert first.previous_expires_ms == int((BASE + 1.5 * HOUR) * 1000)
    assert (first.lifetime_ms, first.longest_lifetime_ms) == (900_000, 3_600_000)
    assert first.shortened and not first.warns
    assert first.last_seen_ms == int((BASE + HOUR) * 1000)
    assert (second.kind, second.subject, second.previous_expires_ms) == (
        "certificate", "api.idp.test:443", None)  # seen twice, unchanged
    assert second.warns and not second.shortened


async def test_one_batch_keeps_the_newest_per_key(any_store: Store) -> None:
    await write(any_store, seen(5, token(2, 1)), seen(1, token(7, 1)))
    (only,) = list_expiries(any_store, ["idp"])
    assert only.expires_ms == int((BASE + 2 * HOUR) * 1000)
    assert list_expiries(any_store, ["other"]) == []
