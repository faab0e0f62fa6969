"""Alert read model: current states, bands, incidents, MTTR, outbox."""

from __future__ import annotations

from storage.database import Store
from storage.reads import alert_history as ah
from storage.schema.alerts import AlertEvent
from tests.storage.seed import HOUR, MIN, add_email, add_event, add_state

T = 1_767_225_600_000


def ev(at: int, to: str, *, probe: str = "p", cond: str | None = None,
       integration: str = "pay", frm: str = "x", reason: str = "") -> AlertEvent:
    return AlertEvent(at, integration, probe, frm, to, cond or to, reason or f"to {to}")


def test_state_bands_cover_the_range() -> None:
    events = [ev(T + 10 * MIN, "pending"), ev(T + 20 * MIN, "firing", reason="3 failed"),
              ev(T + 50 * MIN, "ok")]
    bands = ah.state_bands("ok", events, T, T + HOUR)
    assert [(b.start_ms - T, b.end_ms - T, b.state) for b in bands] == [
        (0, 10 * MIN, "ok"), (10 * MIN, 20 * MIN, "pending"), (20 * MIN, 50 * MIN, "firing"),
        (50 * MIN, 60 * MIN, "ok")]
    assert bands[2].reason == "3 failed"
    # transitions outside the range are clamped, zero-length bands dropped
    bands = ah.state_bands("firing", [ev(T - MIN, "ok")], T, T + HOUR)
    assert [(b.state, b.start_ms, b.end_ms) for b in bands] == [("ok", T, T + HOUR)]


def test_incidents_and_mttr() -> None:
    events = [
        ev(T, "pending"), ev(T + 2 * MIN, "firing", reason="2 failed (timeout: read)"),
        ev(T + 30 * MIN, "ok"),                                   # incident 1: 30 min
        ev(T + HOUR, "pending"), ev(T + HOUR + MIN, "ok"),        # pending only: no incident
        ev(T + 2 * HOUR, "firing"), ev(T + 2 * HOUR + 10 * MIN, "silenced", cond="firing"),
        ev(T + 3 * HOUR, "ok", cond="ok"),                        # incident 2: 60 min
        ev(T + 4 * HOUR, "firing", probe="q", integration="crm"),  # still open
    ]
    found = ah.incidents(events)
    assert [(i.integration, i.probe, i.start_ms - T, i.end_ms) for i in found] == [
        ("crm", "q", 4 * HOUR, None),
        ("pay", "p", 2 * HOUR, T + 3 * HOUR),
        ("pay", "p", 0, T + 30 * MIN),
    ]
    assert found[2].cause == "2 failed (timeout: read)"
    assert found[0].duration_ms(T + 5 * HOUR) == HOUR
    assert ah.mttr_by_integration(found) == {"pay": ((30 * MIN + HOUR) / 2, 2)}


def test_tables_round_trip(store: Store) -> None:
    assert ah.current_states(store) == [] and ah.outbox(store) == []
    add_state(store, "pay", "p", "firing", T, fail_streak=3,
              last_failure={"category": "timeout"})
    add_state(store, "pay", "q", "degraded", T, silenced_by="nightly")
    add_event(store, "pay", "p", T - HOUR, "ok", "pending", "1 failed")
    add_event(store, "pay", "p", T, "pending", "firing", "3 failed")
    add_email(store, T, "[FIRING] pay/p", "queued", attempts=2, last_error="refused")
    add_email(store, T + 1, "[RESOLVED] pay/p", "sent", kind="resolved")
    states = {s.probe: s for s in ah.current_states(store)}
    assert states["p"].state == "firing" and states["p"].since_ms == T
    assert states["p"].last_failure == {"category": "timeout"}
    assert states["q"].state == "silenced" and states["q"].condition == "degraded"
    assert [e.to_state for e in ah.events(store, T - 2 * HOUR, T + 1)] == ["pending", "firing"]
    assert [e.to_state for e in ah.events(store, T, T + 1, "pay", "p")] == ["firing"]
    assert ah.state_before(store, "pay", "p", T) == "pending"
    assert ah.state_before(store, "pay", "p", T - 2 * HOUR) == "ok"
    emails = ah.outbox(store)
    assert [(e.subject, e.status, e.attempts) for e in emails] == [
        ("[RESOLVED] pay/p", "sent", 1), ("[FIRING] pay/p", "queued", 2)]
    assert emails[1].last_error == "refused" and emails[0].sent_ms == T + 1001
    assert ah.outbox_counts(store) == {"queued": 1, "sent": 1}


def test_channel_summaries(store: Store) -> None:
    """Per channel: counts, last delivery, and the error it retries now (else its newest
    failure, which counts as failing only while nothing was delivered after it)."""
    add_email(store, T, "a", "sent", channel="mail")
    add_email(store, T + MIN, "b", "failed", last_error="550 refused", channel="mail")
    add_email(store, T + 2 * MIN, "c", "sent", channel="mail")  # delivered after the refusal
    add_email(store, T, "d", "failed", last_error="410 Gone: disabled", channel="hook")
    add_email(store, T, "e", "failed", last_error="gave up", channel="chat")
    add_email(store, T + MIN, "f", "queued", last_error="503 (Retry-After 7s)", channel="chat")
    summaries = {s.channel: s for s in ah.channel_summaries(store)}
    assert [(c, s.counts, s.last_error, s.failing) for c, s in sorted(summaries.items())] == [
        ("chat", {"failed": 1, "queued": 1}, "503 (Retry-After 7s)", True),
        ("hook", {"failed": 1}, "410 Gone: disabled", True),
        ("mail", {"sent": 2, "failed": 1}, "550 refused", False),
    ]
    assert summaries["mail"].last_sent_ms == T + 2 * MIN + 1000
