"""`seamwatch up`: the usual way to run seamwatch — `serve` in this process and the dashboard as
a child process sharing the database. Ctrl-C (or SIGTERM) stops both."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from collections.abc import Callable
from pathlib import Path

from core.redact import Redactor
from seamwatch.config import Config
from seamwatch.dashboard_cmd import APP, dashboard_env, ensure_port_free, streamlit_command
from seamwatch.serve import ServeProcess

log = logging.getLogger("seamwatch.up")


def local_url(host: str, port: int) -> str:
    shown = "localhost" if host in ("127.0.0.1", "::1", "localhost") else host
    return f"http://{shown}:{port}"


class DashboardProcess:
    """The Streamlit dashboard as a child process (checked for a free port before starting)."""

    def __init__(self, config: Config, host: str, port: int, mailbox: Path | None = None):
        ensure_port_free(host, port)
        self.command = streamlit_command(host, port)
        self.env = dashboard_env(config.path, str(mailbox) if mailbox else None)
        self.url = local_url(host, port)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Streamlit's own banner goes to stdout; we print the address ourselves.
        self.proc = subprocess.Popen(self.command, cwd=APP.parent, env=self.env,
                                     stdout=subprocess.DEVNULL)

    async def watch(self, stopping: Callable[[], bool]) -> None:
        """Log (once) if the dashboard dies on its own; the probes keep running."""
        if self.proc is None:
            return
        code = await asyncio.to_thread(self.proc.wait)
        if not stopping():
            log.error("the dashboard exited (code %s); probes keep running — restart seamwatch "
                      "to get it back", code)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


async def run_up(
    config: Config, redactor: Redactor, *, host: str = "127.0.0.1", port: int = 8501,
    mailbox: Path | None = None, banner: Callable[[str], str] | None = None,
) -> None:
    """Serve `config` (loaded once by the command) with the dashboard beside it."""
    for secret in config.secrets:
        redactor.add(secret)
    dashboard = DashboardProcess(config, host, port, mailbox)  # port errors before anything runs
    serving = ServeProcess(config, redactor)
    dashboard.start()
    message = f"dashboard: {dashboard.url}"
    print(banner(message) if banner else f"seamwatch up: {message}  (Ctrl-C stops)", flush=True)
    watcher = asyncio.create_task(dashboard.watch(lambda: serving.stopping))
    try:
        await serving.run()
    finally:
        dashboard.stop()
        await watcher
