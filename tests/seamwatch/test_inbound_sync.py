"""Heartbeat times between runners (seamwatch/inbound_sync.py), on the real databases: a
heartbeat that reached one runner of a location counts on the runner that owns the heartbeat
probe once both have made a pass (PostgreSQL, shared); a SQLite file has one runner, which
restores its own times at the start."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.types import Secret
from probes.heartbeats import HeartbeatRegistry
from probes.webhooks.spec import SignatureSpec
from seamwatch.inbound_sync import InboundSync
from storage.database import Store, open_store
from storage.ingest.catalog import sync_catalog

KEY = "batch/nightly"


@dataclass(frozen=True)
class _Spec:
    secret: Secret | None = None
    signature: SignatureSpec | None = None


class _Wall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _runner(store: Store, wall: _Wall) -> tuple[HeartbeatRegistry, InboundSync]:
    registry = HeartbeatRegistry(clock=wall, wall=wall)
    registry.configure([(KEY, _Spec())])
    return registry, InboundSync(store, registry)


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    yield store
    store.close()


def test_a_heartbeat_received_by_another_runner_counts(pg_store: Store) -> None:
    ids = sync_catalog(pg_store, [("batch", "nightly", "heartbeat", {})])
    wall = _Wall()
    receiving, receiving_sync = _runner(pg_store, wall)
    owning, owning_sync = _runner(pg_store, wall)
    wall.now += 600
    receiving.beat(KEY)
    received_at = wall.now
    wall.now += 5
    before = owning.last(KEY)
    assert before is not None and not before.received
    receiving_sync.save(ids)
    owning_sync.save(ids)
    after = owning.last(KEY)
    assert after is not None and after.received
    assert after.at.timestamp() == pytest.approx(received_at, abs=0.001)
    assert after.age_s == pytest.approx(5.0, abs=0.01)


def test_a_newer_local_heartbeat_is_not_moved_back(pg_store: Store) -> None:
    ids = sync_catalog(pg_store, [("batch", "nightly", "heartbeat", {})])
    wall = _Wall()
    first, first_sync = _runner(pg_store, wall)
    second, second_sync = _runner(pg_store, wall)
    first.beat(KEY)
    first_sync.save(ids)
    wall.now += 30
    second.beat(KEY)
    second_sync.save(ids)
    last = second.last(KEY)
    assert last is not None and last.at.timestamp() == pytest.approx(wall.now, abs=0.001)
    first_sync.save(ids)
    taken = first.last(KEY)
    assert taken is not None and taken.at.timestamp() == pytest.approx(wall.now, abs=0.001)


def test_sqlite_restores_its_own_times_at_the_start(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'seamwatch.db'}")
    ids = sync_catalog(store, [("batch", "nightly", "heartbeat", {})])
    wall = _Wall()
    before, before_sync = _runner(store, wall)
    before.beat(KEY)
    beat_at = wall.now
    before_sync.save(ids)
    wall.now += 120
    after, after_sync = _runner(store, wall)  # the next `serve` on the same file
    assert after_sync.restore(ids)
    last = after.last(KEY)
    assert last is not None and last.received and last.age_s == pytest.approx(120.0, abs=0.01)
    assert last.at.timestamp() == pytest.approx(beat_at, abs=0.001)
    store.close()
