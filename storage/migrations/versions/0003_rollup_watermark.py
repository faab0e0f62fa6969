"""rollup watermark: cumulative rollup columns, rollup_state, late-run queue and its trigger

Revision ID: 0003_rollup_watermark
Revises: 0002_alerts
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_rollup_watermark"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None

CUM_INT = ("cum_count", "cum_good", "cum_failed", "cum_latency_sum_us")
LATE_COLUMNS = "run_id, probe_id, started_ms, status, latency_us, category"
LATE_VALUES = "NEW.id, NEW.probe_id, NEW.started_ms, NEW.status, NEW.latency_us, NEW.category"

# A run inserted for an hour that is already rolled up is queued in the same transaction.
SQLITE_TRIGGER = f"""
CREATE TRIGGER runs_late_rollup AFTER INSERT ON runs
WHEN NEW.started_ms < (SELECT rolled_through_ms FROM rollup_state WHERE id = 1)
BEGIN
    INSERT OR IGNORE INTO rollup_late_runs ({LATE_COLUMNS}) VALUES ({LATE_VALUES});
END
"""
PG_FUNCTION = f"""
CREATE FUNCTION runs_late_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.started_ms < (SELECT rolled_through_ms FROM rollup_state WHERE id = 1) THEN
        INSERT INTO rollup_late_runs ({LATE_COLUMNS}) VALUES ({LATE_VALUES})
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$
"""
PG_TRIGGER = """
CREATE TRIGGER runs_late_rollup AFTER INSERT ON runs
FOR EACH ROW EXECUTE FUNCTION runs_late_rollup()
"""


def _json(value: Any) -> dict[str, int]:
    raw = json.loads(value) if isinstance(value, (str, bytes)) else value
    return {str(k): int(v) for k, v in dict(raw or {}).items()}


def _fill_cumulative(bind: sa.Connection) -> None:
    """Running totals for rollups written before this revision (older than raw retention)."""
    t = sa.table("run_rollups_hourly", sa.column("probe_id"), sa.column("hour_ms"),
                 sa.column("count"), sa.column("ok"), sa.column("degraded"),
                 sa.column("failed"), sa.column("latency_sum_us"),
                 sa.column("histogram", sa.JSON), *(sa.column(c) for c in CUM_INT),
                 sa.column("cum_histogram", sa.JSON))
    rows = bind.execute(sa.select(t.c.probe_id, t.c.hour_ms, t.c.count, t.c.ok, t.c.degraded,
                                  t.c.failed, t.c.latency_sum_us, t.c.histogram)
                        .order_by(t.c.probe_id, t.c.hour_ms)).all()
    cum: list[int] = [0, 0, 0, 0]
    hist: Counter[str] = Counter()
    last_pid = None
    for pid, hour, count, ok, degraded, failed, lsum, histogram in rows:
        if pid != last_pid:
            cum, hist, last_pid = [0, 0, 0, 0], Counter(), pid
        for i, v in enumerate((count, ok + degraded, failed, lsum)):
            cum[i] += int(v)
        hist.update(_json(histogram))
        bind.execute(t.update().where(t.c.probe_id == pid, t.c.hour_ms == hour).values(
            **dict(zip(CUM_INT, cum, strict=True)), cum_histogram=dict(sorted(hist.items()))))


def upgrade() -> None:
    with op.batch_alter_table("run_rollups_hourly") as batch:
        for name in CUM_INT:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=False,
                                       server_default="0"))
        batch.add_column(sa.Column("cum_histogram", sa.JSON(), nullable=False,
                                   server_default="{}"))
    op.create_table(
        "rollup_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rolled_through_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "rollup_late_runs",
        sa.Column("run_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("probe_id", sa.Integer(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("latency_us", sa.Integer(), nullable=False),
        sa.Column("category", sa.SmallInteger(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO rollup_state (id, rolled_through_ms) VALUES (1, NULL)"))
    _fill_cumulative(bind)
    if bind.dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS runs_late_rollup" +
               (" ON runs" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS runs_late_rollup()")
    op.drop_table("rollup_late_runs")
    op.drop_table("rollup_state")
    with op.batch_alter_table("run_rollups_hourly") as batch:
        for name in (*CUM_INT, "cum_histogram"):
            batch.drop_column(name)
