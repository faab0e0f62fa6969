"""Several alert services (one per runner) on one PostgreSQL database: each sees the others'
state changes, concurrent evaluations lose no run, and one email goes out per notice however
many runners tick and deliver at once (docs/runners.md, "One evaluator, one sender")."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest

from alerts.service import AlertService
from core.redact import Redactor
from storage.database import Store, open_store
from tests.alerts.conftest import Clock, SmtpServer, email_spec, make_config, result
from tests.alerts.helpers import outbox

KEY = "payments/list"


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    yield store
    store.close()


def _services(pg: Store, n: int, port: int, clock: Clock, **policy: int) -> list[AlertService]:
    cfg = make_config(email_spec(port), {KEY: {"failure_threshold": 3, **policy}})
    return [AlertService(pg, cfg, redactor=Redactor([]), clock=clock, owner=f"r{i}")
            for i in range(n)]


async def test_runners_take_turns_on_one_probe_and_email_once(
    pg: Store, smtp_server: SmtpServer
) -> None:
    clock = Clock()
    services = _services(pg, 3, smtp_server.port, clock, recovery_threshold=2)
    for svc in services:
        await svc.start()
    for i in range(3):  # three failures, each evaluated by another runner
        services[i].evaluate([result(KEY, "failed", clock())])
        clock.advance(10)
    assert {str(svc.states()[("payments", "list")].state) for svc in services[-1:]} == {"firing"}
    await asyncio.gather(*(svc.tick() for svc in services), *(svc.tick() for svc in services))
    for i in range(2):
        services[i + 1].evaluate([result(KEY, "ok", clock())])
        clock.advance(10)
    await asyncio.gather(*(svc.tick() for svc in services), *(svc.tick() for svc in services))
    for svc in services:
        await svc.stop()
    assert [s.split(" ")[0] for s in smtp_server.collector.subjects] == ["[FIRING]", "[RESOLVED]"]
    assert [r.status for r in outbox(pg)] == ["sent", "sent"]


def test_concurrent_evaluations_count_every_run_once(pg: Store) -> None:
    clock = Clock()
    services = _services(pg, 4, 1, clock, failure_threshold=1000)
    start = threading.Barrier(len(services))

    def work(svc: AlertService) -> None:
        start.wait()
        for _ in range(25):
            svc.evaluate([result(KEY, "failed", clock())])

    threads = [threading.Thread(target=work, args=(svc,)) for svc in services]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    fresh = _services(pg, 1, 1, clock)[0]
    assert fresh.states()[("payments", "list")].fail_streak == 100
