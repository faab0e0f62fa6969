"""`seamwatch dashboard`: run the Streamlit app (`streamlit_app.py`) as a child process.

The config path reaches the app through `$SEAMWATCH_CONFIG`; the dashboard binds to 127.0.0.1
unless `--host` says otherwise, and a port already in use is reported before Streamlit starts.
The chrome settings of `.streamlit/config.toml` are also passed as flags, so they hold whatever
the working directory.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from alerts.mailbox import MAILBOX_ENV
from seamwatch.errors import UserError

APP = Path(__file__).resolve().parent.parent / "streamlit_app.py"
CHROME_FLAGS = (
    "--server.headless=true",
    "--browser.gatherUsageStats=false",
    "--client.toolbarMode=viewer",
    "--client.showErrorDetails=type",
    "--server.fileWatcherType=none",
    "--server.runOnSave=false",
    "--global.developmentMode=false",
)


def ensure_port_free(host: str, port: int) -> None:
    """Raise UserError naming the port and `--port` when host:port cannot be listened on."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(
                    f"port {port} on {host} is already in use, so the dashboard cannot listen "
                    f"there; choose another with --port (e.g. --port {port + 1})"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UserError(f"cannot listen on {host}: no such local address (--host)") \
                    from None
            raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def streamlit_command(host: str, port: int, app: Path = APP) -> list[str]:
    return [
        sys.executable, "-m", "dashboard.launch", str(app),
        f"--server.address={host}", f"--server.port={port}", *CHROME_FLAGS,
    ]


def dashboard_env(config_path: Path, mailbox: str | None = None,
                  base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["SEAMWATCH_CONFIG"] = str(config_path.absolute())
    if mailbox:
        env[MAILBOX_ENV] = str(Path(mailbox).absolute())
    return env


def run_dashboard(config_path: Path, *, host: str = "127.0.0.1", port: int = 8501,
                  mailbox: str | None = None, extra_args: Sequence[str] = ()) -> int:
    """Run the dashboard until it exits or we get SIGINT/SIGTERM (passed on to Streamlit)."""
    if not APP.exists():
        raise UserError(f"the dashboard app is missing ({APP}); reinstall seamwatch")
    ensure_port_free(host, port)
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    print(f"seamwatch dashboard: http://{shown}:{port}", flush=True)
    proc = subprocess.Popen(
        [*streamlit_command(host, port), *extra_args], cwd=APP.parent,
        env=dashboard_env(config_path, mailbox),
    )

    def forward(signum: int, _frame: object) -> None:
        if proc.poll() is None:
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
