"""storage.coordination on the local PostgreSQL: a claim never hands one row to two
transactions, the try-lock is held by one transaction at a time, upserts insert then update."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from storage.coordination import ALERTS_LOCK, claim_rows, upsert, xact_lock
from storage.database import Store, open_store

jobs = sa.Table(
    "test_jobs", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(16)),
)


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Store]:
    store = open_store(postgres_url)
    jobs.create(store.engine)
    with store.engine.begin() as conn:
        conn.execute(jobs.insert(), [{"id": i, "status": "queued"} for i in range(1, 4)])
    yield store
    store.close()


def _due() -> sa.Select[tuple[int, str, str | None]]:
    return sa.select(jobs).where(jobs.c.status == "queued").order_by(jobs.c.id).limit(1)


def test_concurrent_claims_skip_each_others_rows(pg: Store) -> None:
    with pg.write() as first, pg.write() as second:
        mine = claim_rows(first, jobs, _due(), {"status": "sending", "owner": "a"})
        theirs = claim_rows(second, jobs, _due(), {"status": "sending", "owner": "b"})
        assert [r.id for r in mine] == [1] and [r.id for r in theirs] == [2]
        assert mine[0].status == "queued"  # the row as it was before the claim
    with pg.write() as third:  # both committed: the claimed rows are no longer due
        assert [r.id for r in claim_rows(third, jobs, _due(), {"status": "sending"})] == [3]
        assert claim_rows(third, jobs, _due(), {"status": "sending"}) == []
    with pg.engine.connect() as conn:
        owners = {r.id: r.owner for r in conn.execute(sa.select(jobs.c.id, jobs.c.owner))}
    assert owners == {1: "a", 2: "b", 3: None}


def test_try_lock_is_held_by_one_transaction_until_it_ends(pg: Store) -> None:
    with pg.write() as first:
        assert xact_lock(first, ALERTS_LOCK, wait=False)
        with pg.write() as second:
            assert not xact_lock(second, ALERTS_LOCK, wait=False)
    with pg.write() as third:
        assert xact_lock(third, ALERTS_LOCK, wait=False)


def test_waiting_lock_gives_up_after_lock_timeout(postgres_url: str) -> None:
    store = open_store(postgres_url, busy_timeout_ms=200)
    try:
        with store.write() as first:
            xact_lock(first, ALERTS_LOCK, wait=True)
            with pytest.raises(sa.exc.OperationalError, match="lock timeout"):  # noqa: SIM117
                with store.write() as second:
                    xact_lock(second, ALERTS_LOCK, wait=True)
    finally:
        store.close()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_upsert_inserts_then_updates(dialect: str, request: pytest.FixtureRequest) -> None:
    url = (f"sqlite:///{request.getfixturevalue('tmp_path') / 'u.db'}" if dialect == "sqlite"
           else request.getfixturevalue("postgres_url"))
    store = open_store(url, migrate=False)
    try:
        jobs.create(store.engine)
        with store.write() as conn:
            upsert(conn, jobs, [{"id": 1, "status": "queued", "owner": "a"}], ("id",))
            upsert(conn, jobs, [{"id": 1, "status": "sent", "owner": "b"},
                                {"id": 2, "status": "queued", "owner": None}], ("id",))
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(jobs).order_by(jobs.c.id)).all()
        assert [tuple(r) for r in rows] == [(1, "sent", "b"), (2, "queued", None)]
    finally:
        store.close()
