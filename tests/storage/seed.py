"""Seeding test databases for the read models and the dashboard through the real writer and
tables: compact run descriptions (`R`), the catalog, alert states, events and outbox emails."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from probes.result import (
    Category,
    Failure,
    PhaseTimings,
    ProbeResult,
    RateLimit,
    RunStatus,
    StepResult,
    StepStatus,
)
from storage.database import Store
from storage.ingest.catalog import sync_catalog
from storage.ingest.writer import ResultWriter
from storage.schema import alert_events_t, alert_outbox_t, alert_states_t, probes_t

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR


def dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


@dataclass
class R:
    """A compact run description for tests."""

    at_ms: int
    latency_ms: float
    status: str = "ok"
    category: str | None = None
    reason: str | None = None
    steps: Sequence[tuple[str, float]] = (("get", 1.0),)  # (name, share of latency)
    phases: tuple[float, float, float, float, float] | None = None  # dns..transfer (ms)
    rate_limit: tuple[int, int] | None = None  # (limit, remaining) on the first step
    credential_ttl_s: float | None = None
    cert_days_left: float | None = None
    message: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def to_result(integration: str, probe: str, r: R, kind: str = "http") -> ProbeResult:
    failure = None
    if r.status == "failed":
        failure = Failure(Category(r.category or "server_error"), r.reason or "http_500",
                          r.message or "server said 500")
    steps = []
    for i, (name, share) in enumerate(r.steps):
        last = i == len(r.steps) - 1
        ph = r.phases
        steps.append(StepResult(
            name=name, status=StepStatus.FAILED if failure and last else StepStatus.OK,
            latency_ms=r.latency_ms * share, http_status=500 if failure and last else 200,
            phases=PhaseTimings(*ph) if ph else PhaseTimings(),
            rate_limit=RateLimit(limit=r.rate_limit[0], remaining=r.rate_limit[1])
            if r.rate_limit and i == 0 else None,
            failure=failure if last else None,
        ))
    return ProbeResult(
        integration=integration, probe=probe, kind=kind, status=RunStatus(r.status),
        started_at=dt(r.at_ms), latency_ms=r.latency_ms, steps=steps, failure=failure,
        failed_step=steps[-1].name if failure else None,
        credential_ttl_s=r.credential_ttl_s, cert_days_left=r.cert_days_left,
        degraded_reason="slower than 1s" if r.status == "degraded" else None,
    )


def write_runs(store: Store, integration: str, probe: str, runs: Iterable[R],
               kind: str = "http", location: str = "local") -> None:
    results = [to_result(integration, probe, r, kind) for r in runs]
    for res in results:
        res.location = location

    async def go() -> None:
        async with ResultWriter(store, batch_size=5000) as writer:
            for res in results:
                writer.submit(res)

    asyncio.run(go())


def catalog(store: Store, entries: Sequence[tuple[str, str, str]],
            tags: dict[str, list[str]] | None = None, now_ms: int | None = None) -> None:
    info = {i: {"description": f"{i} API", "tags": (tags or {}).get(i, [])}
            for i, _, _ in entries}
    sync_catalog(store, [(i, p, k, {}) for i, p, k in entries], integrations=info,
                 retire_missing=False, now_ms_=now_ms)


def retire(store: Store, probe: str, at_ms: int) -> None:
    with store.write() as conn:
        conn.execute(probes_t.update().where(probes_t.c.name == probe).values(retired_ms=at_ms))


def add_state(store: Store, integration: str, probe: str, condition: str, since_ms: int,
              *, silenced_by: str | None = None, last_failure: dict[str, object] | None = None,
              fail_streak: int = 0) -> None:
    with store.write() as conn:
        conn.execute(alert_states_t.insert().values(
            integration=integration, probe=probe, state=condition, condition=condition,
            silenced_by=silenced_by, since_ms=since_ms, fail_streak=fail_streak,
            good_streak=0, ok_streak=0, degraded_streak=0, flaps=0,
            last_failure=last_failure or {}, recent=[], updated_ms=since_ms,
        ))


def add_event(store: Store, integration: str, probe: str, at_ms: int, from_state: str,
              to_state: str, reason: str, condition: str | None = None) -> None:
    with store.write() as conn:
        conn.execute(alert_events_t.insert().values(
            at_ms=at_ms, integration=integration, probe=probe, from_state=from_state,
            to_state=to_state, condition=condition or to_state, reason=reason,
        ))


def add_email(store: Store, at_ms: int, subject: str, status: str, *, attempts: int = 1,
              last_error: str | None = None, text: str = "body", kind: str = "firing",
              channel: str = "email") -> None:
    with store.write() as conn:
        conn.execute(alert_outbox_t.insert().values(
            channel=channel,
            message_id=f"<{at_ms}.{subject[:10]}@seamwatch>", kind=kind,
            recipients="oncall@example.com", subject=subject, text_body=text,
            html_body=f"<p>{text}</p>", alert_count=1, status=status, attempts=attempts,
            last_error=last_error, created_ms=at_ms, next_attempt_ms=at_ms,
            sent_ms=at_ms + 1000 if status == "sent" else None,
        ))


def count_runs(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM runs")).scalar_one())
