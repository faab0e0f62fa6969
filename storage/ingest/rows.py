"""Row building and id allocation for the writer (the ingest hot path)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from probes.result import ProbeResult
from storage.codes import CATEGORY_CODE, RUN_STATUS_CODE, STEP_STATUS_CODE, to_ms, to_us

_INT64 = 2**63 - 1


def _text(value: str | None, limit: int | None = None) -> str | None:
    if value is None:
        return None
    value = value.replace("\x00", "")  # PostgreSQL rejects NUL in text
    return value[:limit] if limit else value


def _clamp(value: int | None, hi: int = _INT64) -> int | None:
    return None if value is None else max(-hi, min(hi, int(value)))


_NEXT_RUN_IDS = {
    "postgresql": "SELECT nextval('run_id_seq') FROM generate_series(1, %(n)s)",
    # One statement (SQLite ≥ 3.35 has RETURNING); the batch's write lock makes it atomic.
    "sqlite": "UPDATE id_counters SET value = value + ? WHERE name = 'runs' RETURNING value",
}


def allocate_run_ids(conn: sa.Connection, n: int) -> list[int]:
    """`n` unique run ids, inside the caller's write transaction."""
    if conn.dialect.name == "postgresql":
        rows = conn.exec_driver_sql(_NEXT_RUN_IDS["postgresql"], {"n": n})
        return [int(r[0]) for r in rows]
    end = int(conn.exec_driver_sql(_NEXT_RUN_IDS["sqlite"], (n,)).scalar_one())
    return list(range(end - n, end))


RUN_COLUMNS = (
    "probe_id", "started_ms", "id", "status", "latency_us", "attempts", "location_id",
    "category", "reason", "message", "failed_step", "degraded_reason", "credential_ttl_s",
    "cert_days_left",
)
STEP_COLUMNS = (
    "run_id", "idx", "name", "status", "http_status", "latency_us", "dns_us", "connect_us",
    "tls_us", "ttfb_us", "transfer_us", "rl_limit", "rl_remaining", "rl_reset_s",
    "rl_retry_after_s", "rl_policy", "category", "reason", "message",
)
def build_rows(
    results: Sequence[ProbeResult],
    ids: Sequence[int],
    probe_ids: Sequence[int],
    location_ids: Sequence[int],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Insert parameters for `runs` and `run_steps`, as tuples in RUN_COLUMNS / STEP_COLUMNS order
    (the hot path of ingest: keep it lean)."""
    run_rows: list[tuple[Any, ...]] = []
    step_rows: list[tuple[Any, ...]] = []
    status_code, step_code, cat_code = RUN_STATUS_CODE, STEP_STATUS_CODE, CATEGORY_CODE
    for r, rid, pid, lid in zip(results, ids, probe_ids, location_ids, strict=True):
        f = r.failure
        run_rows.append((
            pid, to_ms(r.started_at), rid, status_code[r.status], to_us(r.latency_ms) or 0,
            r.attempts if 0 <= r.attempts <= 32767 else 32767, lid,
            cat_code[f.category] if f else None,
            _text(f.reason, 100) if f else None,
            _text(f.message) if f else None,
            _text(r.failed_step, 200) if r.failed_step is not None else None,
            _text(r.degraded_reason) if r.degraded_reason is not None else None,
            r.credential_ttl_s, r.cert_days_left,
        ))
        for idx, s in enumerate(r.steps):
            sf, ph, rl = s.failure, s.phases, s.rate_limit
            step_rows.append((
                rid, idx, _text(s.name, 200), step_code[s.status],
                _clamp(s.http_status, 32767) if s.http_status is not None else None,
                to_us(s.latency_ms), to_us(ph.dns_ms), to_us(ph.connect_ms), to_us(ph.tls_ms),
                to_us(ph.ttfb_ms), to_us(ph.transfer_ms),
                _clamp(rl.limit) if rl else None,
                _clamp(rl.remaining) if rl else None,
                rl.reset_s if rl else None,
                rl.retry_after_s if rl else None,
                _text(rl.policy, 100) if rl and rl.policy else None,
                cat_code[sf.category] if sf else None,
                _text(sf.reason, 100) if sf else None,
                _text(sf.message) if sf else _text(s.note),  # a passing step's note
            ))
    return run_rows, step_rows


def cluster_key(row: tuple[Any, ...]) -> tuple[int, int]:
    return row[0], row[1]


_INSERT_SQL: dict[tuple[str, str], tuple[str, bool]] = {}


def executemany_insert(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """A Core `insert()` compiled once per dialect and executed as one DB-API executemany with
    positional rows (skips SQLAlchemy's per-row parameter processing: plain ints/floats/strings)."""
    if not rows:
        return
    key = (conn.dialect.name, table.name)
    if key not in _INSERT_SQL:
        compiled = table.insert().values({c: sa.bindparam(c) for c in columns}).compile(
            dialect=conn.dialect
        )
        _INSERT_SQL[key] = (str(compiled), compiled.positional)
    sql, positional = _INSERT_SQL[key]
    if positional:
        conn.exec_driver_sql(sql, rows)  # type: ignore[arg-type]
    else:
        conn.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])
