"""Upgrading a database from 0008: run steps keep every value and gain an empty `rl_policy`;
the downgrade drops the column and keeps the rows. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.database import downgrade_to, open_store, upgrade_to

BEFORE = "0008_slo"
STEP = {"run_id": 7, "idx": 0, "name": "list", "status": 0, "http_status": 200,
        "latency_us": 1234, "rl_limit": 100, "rl_remaining": 7, "rl_reset_s": 30.0,
        "rl_retry_after_s": None}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'seamwatch.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _steps(conn: sa.Connection) -> list[dict[str, object]]:
    rows = conn.execute(sa.text("SELECT * FROM run_steps ORDER BY run_id, idx")).mappings()
    return [dict(row) for row in rows]


def test_upgrade_adds_an_empty_policy_and_downgrade_drops_it(url: str) -> None:
    store = open_store(url, migrate=False)
    try:
        upgrade_to(store, BEFORE)
        columns = ", ".join(STEP)
        with store.write() as conn:
            conn.execute(sa.text(f"INSERT INTO run_steps ({columns}) VALUES "
                                 f"({', '.join(':' + c for c in STEP)})"), STEP)
        upgrade_to(store, "0009_quota")
        with store.engine.connect() as conn:
            (row,) = _steps(conn)
        assert row == {**{c: None for c in row}, **STEP, "rl_policy": None}
        with store.write() as conn:
            conn.execute(sa.text("UPDATE run_steps SET rl_policy = 'core'"))
        downgrade_to(store, BEFORE)
        with store.engine.connect() as conn:
            (row,) = _steps(conn)
        assert "rl_policy" not in row and row["rl_remaining"] == 7
    finally:
        store.close()
