"""End to end through `seamwatch serve`: a firing alert goes to a webhook receiver that checks
the signature and answers 503 + Retry-After twice; `serve` is killed with SIGKILL between the
retries and started again, and the receiver still accepts exactly one delivery."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

from tests.support.cli import ServeProcess, wait_until
from tests.support.receiver import SECRET, Receiver
from tests.support.servers import UvicornThread, free_port


def _config(folder: Path, hook_url: str) -> Path:
    path = folder / "seamwatch.yaml"
    path.write_text(f"""
storage: {{url: "sqlite:///runs.db"}}
runner: {{listen: null}}
defaults:
  interval: 200ms
  retries: 0
  alerts: {{failure_threshold: 1}}
notifications: {{group_wait: 0s}}
channels:
  hooks: {{type: webhook, url: "{hook_url}", secret: "{SECRET}"}}
routes:
  - {{match: {{kinds: [firing]}}, channels: [hooks]}}
integrations:
  - name: shop
    base_url: http://127.0.0.1:{free_port()}
    probes: [{{name: orders, steps: [{{name: list, path: /orders}}]}}]
""")
    return path


def _outbox(db: Path) -> list[tuple[str, str, int]]:
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            return conn.execute(
                "select channel, status, attempts from alert_outbox order by id").fetchall()
        except sqlite3.OperationalError:
            return []


def test_kill_9_mid_retry_still_delivers_exactly_once(tmp_path: Path) -> None:
    receiver = Receiver([(503, {"Retry-After": "2"}), (503, {"Retry-After": "2"})], secret=SECRET)
    with UvicornThread(receiver) as server:
        config = _config(tmp_path, f"{server.url}/seamwatch")
        db = tmp_path / "runs.db"
        with ServeProcess(config) as first:
            receiver.wait_for(1)
            first.kill()
            assert first.proc.returncode == -signal.SIGKILL
        assert _outbox(db) and _outbox(db)[0][:2] in (("hooks", "queued"), ("hooks", "sending"))
        with ServeProcess(config) as second:
            receiver.wait_for(1, accepted=True)
            wait_until(lambda: [r[1] for r in _outbox(db)] == ["sent"], what="the row sent")
            assert second.terminate() == 0
    ids = {r.headers["webhook-id"] for r in receiver.requests}
    assert len(ids) == 1  # one notice, the same id on every attempt
    assert len(receiver.accepted) == 1
    assert [r.status for r in receiver.requests] == [503, 503, 200]
