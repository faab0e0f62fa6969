"""What lets several `serve` processes share one database safely (docs/runners.md): a
transaction-scoped lock, atomic row claims with a lease, and upserts. Each works on SQLite too,
where `Store.write` (BEGIN IMMEDIATE) already makes every write transaction exclusive.

All three are transaction-scoped, never session-scoped, so they stay correct behind PgBouncer in
transaction pooling mode.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

# Advisory lock keys (PostgreSQL bigint); 0x5EA3_0001 is the migration lock in storage.database.
ALERTS_LOCK = 0x5EA3_0002


def xact_lock(conn: sa.Connection, key: int, *, wait: bool) -> bool:
    """Take the advisory lock `key` until the caller's transaction ends. `wait=False` returns
    False at once when another transaction holds it (`pg_try_advisory_xact_lock`); `wait=True`
    waits, bounded by the transaction's `lock_timeout`. SQLite: always True (the transaction
    already holds the database's write lock)."""
    if conn.dialect.name == "sqlite":
        return True
    if wait:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        return True
    return bool(conn.execute(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key})
                .scalar_one())


def claim_rows(
    conn: sa.Connection, table: sa.Table, due: sa.Select[Any], values: Mapping[str, Any]
) -> list[sa.Row[Any]]:
    """Claim the rows `due` selects (whole rows of `table`, with its own filter, order and
    limit): lock them skipping rows another transaction holds (`FOR UPDATE SKIP LOCKED`), set
    `values` on them (typically the claimant and a lease expiry) and return them as they were
    before the claim. Two concurrent callers never get the same row; call inside a write
    transaction."""
    rows = list(conn.execute(due.with_for_update(skip_locked=True)))
    if rows:
        conn.execute(table.update().where(table.c.id.in_([r.id for r in rows]))
                     .values(dict(values)))
    return rows


def upsert(
    conn: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column given (PostgreSQL and SQLite)."""
    if not rows:
        return
    stmt = _upsert(conn.dialect.name, table, tuple(rows[0]), tuple(keys))
    conn.execute(stmt, [dict(r) for r in rows])


@functools.lru_cache(maxsize=64)
def _upsert(dialect_name: str, table: sa.Table, columns: tuple[str, ...],
            keys: tuple[str, ...]) -> sa.Insert:
    """The statement, built once per shape (its construction costs more than a small batch)."""
    dialect = sqlite if dialect_name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    update = {c: stmt.excluded[c] for c in columns if c not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=update)
