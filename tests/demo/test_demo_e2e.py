"""`seamwatch demo` end to end: on free ports, every demo probe records runs, a forced outage of
the sandbox reaches the mail catcher as a FIRING email, and recovery as a RESOLVED one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from seamwatch.config import load_config
from seamwatch.demo.command import DEMO_CONFIG, DemoPorts, demo_environment
from seamwatch.demo.mailcatcher import list_messages, mail_folder
from tests.support.cli import CliProcess, wait_until
from tests.support.servers import free_port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CliProcess, DemoPorts, Path]]:
    data = tmp_path_factory.mktemp("demo") / "data"
    ports = DemoPorts(dashboard=free_port(), api=free_port(), smtp=free_port(),
                      listen=free_port())
    process = CliProcess(
        ["demo", "--data", str(data), "--port", str(ports.dashboard), "--api-port",
         str(ports.api), "--smtp-port", str(ports.smtp), "--listen-port", str(ports.listen)],
        cwd=data.parent, env={"SEAMWATCH_DEMO_INTERVAL": "1s"},
    )
    with process:
        process.wait_for_log(r"serving \d+ probes", timeout=120)
        yield process, ports, data
        assert process.terminate() == 0
    assert "Traceback" not in process.log


def _probe_runs(db: Path) -> dict[str, int]:
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=10) as conn:
        try:
            rows = conn.execute(
                "select i.name || '/' || p.name, count(*) from runs r "
                "join probes p on p.id = r.probe_id join integrations i "
                "on i.id = p.integration_id group by 1").fetchall()
        except sqlite3.OperationalError:
            return {}
    return dict(rows)


def test_every_demo_probe_records_runs(demo: tuple[CliProcess, DemoPorts, Path]) -> None:
    _, ports, data = demo
    expected = {e.key for e in load_config(
        DEMO_CONFIG, environ=demo_environment(data, ports)).entries}
    assert {"sandbox/auth", "sandbox/list-customers"} <= expected
    db = data / "seamwatch.db"
    wait_until(lambda: expected <= {k for k, n in _probe_runs(db).items() if n >= 2},
               timeout=120, what=f"runs of {sorted(expected)}")


def test_outage_fires_and_recovery_resolves(demo: tuple[CliProcess, DemoPorts, Path]) -> None:
    _, ports, data = demo
    api = f"http://127.0.0.1:{ports.api}"
    mailbox = mail_folder(data)
    forced = httpx.post(f"{api}/_sandbox/phase", json={"phase": "outage", "for_s": 10})
    assert forced.status_code == 200, forced.text
    subjects = lambda: [m.subject for m in list_messages(mailbox)]  # noqa: E731
    wait_until(lambda: any(s.startswith("[FIRING]") and "server_error" in s
                           for s in subjects()), timeout=120, what="a FIRING email")
    wait_until(lambda: any(s.startswith("[RESOLVED]") for s in subjects()),
               timeout=120, what="a RESOLVED email")
    firing = next(m for m in list_messages(mailbox) if m.subject.startswith("[FIRING]"))
    assert "sandbox/" in firing.subject
    assert f"http://localhost:{ports.dashboard}?integration=sandbox" in firing.text
    assert firing.html and "sandbox" in firing.html
