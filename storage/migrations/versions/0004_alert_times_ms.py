"""alert times as epoch milliseconds: the alert tables' timestamptz columns become BigInteger
`*_ms` columns (UTC epoch milliseconds, like every run table), data converted, indexes kept

Revision ID: 0004_alert_times_ms
Revises: 0003_rollup_watermark
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004_alert_times_ms"
down_revision = "0003_rollup_watermark"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)

# table -> (old timestamptz column, new *_ms column, nullable)
COLUMNS: dict[str, list[tuple[str, str, bool]]] = {
    "alert_states": [
        ("since", "since_ms", True),
        ("incident_start", "incident_start_ms", True),
        ("notified_at", "notified_ms", True),
        ("fire_notice_at", "fire_notice_ms", True),
        ("updated_at", "updated_ms", False),
    ],
    "alert_events": [("at", "at_ms", False), ("run_started_at", "run_started_ms", True)],
    "alert_notices": [("created_at", "created_ms", False)],
    "alert_outbox": [
        ("created_at", "created_ms", False),
        ("next_attempt_at", "next_attempt_ms", False),
        ("sent_at", "sent_ms", True),
    ],
}
KEYS: dict[str, tuple[str, ...]] = {"alert_states": ("integration", "probe")}
# index -> (table, columns before this revision, columns after it)
INDEXES: dict[str, tuple[str, list[str], list[str]]] = {
    "ix_alert_events_probe_at": (
        "alert_events", ["integration", "probe", "at"], ["integration", "probe", "at_ms"]),
    "ix_alert_events_at": ("alert_events", ["at"], ["at_ms"]),
}


def to_ms(value: datetime | None) -> int | None:
    """Exact (integer) UTC epoch milliseconds, rounded down; naive values are UTC (SQLite)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // ONE_MS


def from_ms(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + value * ONE_MS


def _copy_in_python(
    table: str, pairs: list[tuple[str, str]], source_type: sa.types.TypeEngine[Any],
    convert: Callable[[Any], Any], target_type: sa.types.TypeEngine[Any],
) -> None:
    """target = convert(source) row by row (SQLite: its timestamps are text SQL cannot parse
    exactly)."""
    keys = KEYS.get(table, ("id",))
    t = sa.table(table, *(sa.column(k) for k in keys),
                 *(sa.column(src, source_type) for src, _ in pairs),
                 *(sa.column(dst, target_type) for _, dst in pairs))
    bind = op.get_bind()
    rows = bind.execute(sa.select(*(t.c[k] for k in keys), *(t.c[s] for s, _ in pairs))).all()
    if not rows:
        return
    update = t.update().where(*(t.c[k] == sa.bindparam(f"key_{k}") for k in keys)).values(
        {dst: sa.bindparam(dst) for _, dst in pairs})
    params = []
    for row in rows:
        m = row._mapping
        values: dict[str, Any] = {f"key_{k}": m[k] for k in keys}
        values.update({dst: convert(m[src]) for src, dst in pairs})
        params.append(values)
    bind.execute(update, params)


def _convert(to_millis: bool) -> None:
    """Per table: add the target columns, fill them from the source ones, drop the sources,
    then make the targets NOT NULL where required (SQLite recreates the table in batch mode)."""
    is_pg = op.get_bind().dialect.name == "postgresql"
    new_type: sa.types.TypeEngine[Any] = sa.BigInteger() if to_millis else TS
    old_type: sa.types.TypeEngine[Any] = TS if to_millis else sa.BigInteger()
    for table, columns in COLUMNS.items():
        cols = [(ts, ms, n) if to_millis else (ms, ts, n) for ts, ms, n in columns]
        for _src, dst, _nullable in cols:
            op.add_column(table, sa.Column(dst, new_type, nullable=True))
        if is_pg:
            expr = ("floor(extract(epoch from {src}) * 1000)::bigint" if to_millis
                    else "to_timestamp({src} / 1000.0)")
            sets = ", ".join(f"{dst} = " + expr.format(src=src) for src, dst, _ in cols)
            op.execute(f"UPDATE {table} SET {sets}")
        else:
            _copy_in_python(table, [(s, d) for s, d, _ in cols], old_type,
                            to_ms if to_millis else from_ms, new_type)
        with op.batch_alter_table(table) as batch:
            for src, dst, nullable in cols:
                batch.drop_column(src)
                if not nullable:
                    batch.alter_column(dst, existing_type=new_type, nullable=False)


def upgrade() -> None:
    for name, (table, _old, _new) in INDEXES.items():
        op.drop_index(name, table_name=table)
    _convert(to_millis=True)
    for name, (table, _old, new) in INDEXES.items():
        op.create_index(name, table, new)


def downgrade() -> None:
    for name, (table, _old, _new) in INDEXES.items():
        op.drop_index(name, table_name=table)
    _convert(to_millis=False)
    for name, (table, old, _new) in INDEXES.items():
        op.create_index(name, table, old)
