from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_sigkill_mid_stream_loses_no_committed_batch(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.storage.ingest.writer_child", f"sqlite:///{db}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reported: list[tuple[int, int, int]] = []
    try:
        for line in child.stdout:
            _, lo, hi, n = line.split()
            reported.append((int(lo), int(hi), int(n)))
            if len(reported) >= 25:
                break
        os.kill(child.pid, signal.SIGKILL)
        rest = child.stdout.read()  # batches reported between our last read and the kill
        reported += [tuple(map(int, ln.split()[1:])) for ln in rest.splitlines() if ln]  # type: ignore[misc]
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(reported) >= 25

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        for first, last, count in reported:
            (stored,) = conn.execute(
                "SELECT count(*) FROM runs WHERE id BETWEEN ? AND ?", (first, last)
            ).fetchone()
            (steps,) = conn.execute(
                "SELECT count(*) FROM run_steps WHERE run_id BETWEEN ? AND ?", (first, last)
            ).fetchone()
            assert (stored, steps) == (count, 2 * count)
    finally:
        conn.close()
