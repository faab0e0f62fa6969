"""A real SQLite outage for tests: another connection holding the database's write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def hold_write_lock(db: Path) -> sqlite3.Connection:
    """Another connection holding SQLite's write lock (as a stuck writer or a backup would);
    close it (or roll back) to release the lock."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def runs_per_probe(db: Path) -> dict[str, int]:
    """Runs recorded so far per probe name in a results database that `serve` writes (empty
    while the file or its tables do not exist yet)."""
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute(
                "select p.name, count(*) from runs r join probes p on p.id = r.probe_id "
                "group by p.name").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return {}
    return {name: count for name, count in rows}
