"""A small realistic history for page tests: two healthy-ish integrations, one firing, a retired
probe with history, a probe without runs, alert history and an outbox."""

from __future__ import annotations

from storage.database import Store
from tests.dashboard.seed import CANARY
from tests.storage.seed import (
    DAY,
    HOUR,
    MIN,
    R,
    add_email,
    add_event,
    add_state,
    catalog,
    retire,
    write_runs,
)

ENTRIES = [
    ("payments", "auth", "auth"), ("payments", "list-charges", "http"),
    ("payments", "api-certificate", "tls"), ("crm", "auth", "auth"),
    ("crm", "contacts", "http"), ("newbie", "fresh", "http"), ("legacy", "old", "http"),
]
TAGS = {"payments": ["billing", "prod"], "crm": ["prod"], "legacy": ["old"]}


def seed_scenario(store: Store, now_ms: int) -> None:
    catalog(store, ENTRIES, TAGS, now_ms=now_ms - 4 * DAY)
    step = 10 * MIN
    n = 3 * DAY // step
    write_runs(store, "payments", "auth", [
        R(now_ms - k * step, 40 + k % 7, steps=(("token", 1.0),),
          credential_ttl_s=3600 - (k % 6) * 10) for k in range(1, n)], kind="auth")
    charges = []
    for k in range(1, n):
        failed = k % 25 == 0
        charges.append(R(
            now_ms - k * step, 100 + (k * 37) % 200,
            status="failed" if failed else ("degraded" if k % 40 == 7 else "ok"),
            category="rate_limited" if failed else None, reason="http_429" if failed else None,
            message=f"429 Too Many Requests (token {CANARY}-echo)" if failed else None,
            steps=(("list", 0.6), ("fetch", 0.4)), phases=(1.0, 2.0, 5.0, 60.0, 3.0),
            rate_limit=(100, 10 + (k * 13) % 90),
        ))
    write_runs(store, "payments", "list-charges", charges)
    write_runs(store, "payments", "api-certificate", [
        R(now_ms - k * HOUR, 30, steps=(("handshake", 1.0),),
          cert_days_left=40 - k / 24) for k in range(1, 72)], kind="tls")
    write_runs(store, "crm", "auth", [
        R(now_ms - k * step, 55, steps=(("token", 1.0),), credential_ttl_s=900)
        for k in range(1, n)], kind="auth")
    write_runs(store, "crm", "contacts", [
        R(now_ms - k * step, 200 if k > 3 else 5000,
          status="failed" if k <= 3 else "ok",
          category="server_error" if k <= 3 else None, reason="http_503" if k <= 3 else None)
        for k in range(1, n)])
    write_runs(store, "legacy", "old", [
        R(now_ms - 2 * DAY - k * HOUR, 80) for k in range(1, 24)])
    retire(store, "old", now_ms - 2 * DAY)

    for probe in ("auth", "list-charges", "api-certificate"):
        add_state(store, "payments", probe, "ok", now_ms - 2 * DAY)
    add_state(store, "crm", "auth", "ok", now_ms - 2 * DAY)
    add_state(store, "crm", "contacts", "firing", now_ms - 25 * MIN, fail_streak=3,
              last_failure={"category": "server_error", "reason": "http_503",
                            "message": "503 Service Unavailable"})
    add_event(store, "payments", "list-charges", now_ms - 20 * HOUR, "ok", "pending",
              "1 failed run(s) in a row (rate_limited: http_429)")
    add_event(store, "payments", "list-charges", now_ms - 20 * HOUR + 10 * MIN, "pending",
              "firing", "2 failed run(s) in a row (rate_limited: http_429)")
    add_event(store, "payments", "list-charges", now_ms - 19 * HOUR, "firing", "ok",
              "2 good run(s) in a row, incident lasted 1h")
    add_event(store, "crm", "contacts", now_ms - 30 * MIN, "ok", "pending",
              "1 failed run(s) in a row (server_error: http_503)")
    add_event(store, "crm", "contacts", now_ms - 25 * MIN, "pending", "firing",
              "2 failed run(s) in a row (server_error: http_503)")
    add_email(store, now_ms - 20 * HOUR, "[FIRING] payments/list-charges — rate_limited: "
              "http_429", "sent", text="payments/list-charges is failing")
    add_email(store, now_ms - 19 * HOUR, "[RESOLVED] payments/list-charges", "sent",
              kind="resolved", text="resolved after 1h")
    add_email(store, now_ms - 24 * MIN, "[FIRING] crm/contacts — server_error: http_503",
              "queued", attempts=2, last_error="SMTP connect refused (127.0.0.1:2525)",
              text="crm/contacts is failing")
    add_email(store, now_ms - 2 * DAY, "[FIRING] legacy/old — timeout", "failed",
              attempts=9, last_error="gave up after 24h")
