"""`seamwatch demo` (what `make run` starts): the sandbox API and the mail catcher on loopback,
then `up` on the bundled `examples/demo.yaml`. Data (SQLite, caught mail) lives in one folder,
so a second run continues where the first stopped."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from core.redact import Redactor
from seamwatch.config import load_config
from seamwatch.demo.mailcatcher import mail_folder, serve_mailcatcher
from seamwatch.demo.sandbox import serve_sandbox
from seamwatch.errors import UserError
from seamwatch.up import local_url, run_up

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class DemoPorts:
    dashboard: int = 8501
    api: int = 8765
    smtp: int = 8025
    listen: int = 9465


def demo_environment(data: Path, ports: DemoPorts) -> dict[str, str]:
    """The variables examples/demo.yaml reads."""
    return {
        "SEAMWATCH_DATA": str(data),
        "SEAMWATCH_DEMO_API_PORT": str(ports.api),
        "SEAMWATCH_DEMO_SMTP_PORT": str(ports.smtp),
        "SEAMWATCH_DEMO_LISTEN_PORT": str(ports.listen),
        "SEAMWATCH_DEMO_DASHBOARD_PORT": str(ports.dashboard),
    }


async def _start(server: asyncio.Task[None], ready: asyncio.Event) -> None:
    """Wait until a helper server accepts connections, or re-raise why it could not."""
    waiter = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({server, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if server in done:
        waiter.cancel()
        server.result()  # raises PortInUseError and the like
        raise UserError("a demo helper server stopped before it started")


async def run_demo(data: Path, ports: DemoPorts, redactor: Redactor) -> None:
    if not DEMO_CONFIG.exists():
        raise UserError(f"the bundled demo config is missing ({DEMO_CONFIG})")
    data = data.absolute()
    mailbox = mail_folder(data)
    mailbox.mkdir(parents=True, exist_ok=True)
    os.environ.update(demo_environment(data, ports))
    stop = asyncio.Event()
    api_ready, smtp_ready = asyncio.Event(), asyncio.Event()
    api = asyncio.create_task(serve_sandbox(
        HOST, ports.api, stop, on_ready=lambda _: api_ready.set(),
        hint="choose another with --api-port"))
    smtp = asyncio.create_task(serve_mailcatcher(
        mailbox, HOST, ports.smtp, stop, on_ready=lambda _: smtp_ready.set(),
        hint="choose another with --smtp-port"))
    try:
        await _start(api, api_ready)
        await _start(smtp, smtp_ready)

        def banner(dashboard: str) -> str:
            return (
                "seamwatch demo is running (Ctrl-C stops it)\n"
                f"  {dashboard}\n"
                f"  sandbox API:  {local_url(HOST, ports.api)}  "
                f"(fault schedule: {local_url(HOST, ports.api)}/_sandbox/status)\n"
                f"  mail catcher: smtp://{HOST}:{ports.smtp}  (emails in {mailbox}, and on the "
                "dashboard's Notifications page)\n"
                f"  metrics:      {local_url(HOST, ports.listen)}/metrics\n"
                f"  data:         {data}  (kept between runs)\n"
                "Faults begin about a minute in; alert emails follow within a few minutes."
            )

        config = load_config(DEMO_CONFIG)  # after os.environ holds the variables it reads
        await run_up(config, redactor, host=HOST, port=ports.dashboard, mailbox=mailbox,
                     banner=banner)
    finally:
        stop.set()
        await asyncio.gather(api, smtp, return_exceptions=True)
