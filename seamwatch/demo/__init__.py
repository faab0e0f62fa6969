"""Demo scaffolding for `seamwatch demo`: a sandbox integration with a fault schedule
(`sandbox.py`, `api.py`, `faults.py`) and a local mail catcher (`mailcatcher.py`, writing the
mailbox format of alerts/mailbox.py).

Nothing here is used by a production `serve`; it exists so a first run has something to watch.
"""

from seamwatch.demo.faults import DEFAULT_PHASES, PHASE_KINDS, FaultSchedule, Phase
from seamwatch.demo.mailcatcher import (
    MailCatcher,
    mail_folder,
    serve_mailcatcher,
    start_mailcatcher,
)
from seamwatch.demo.ports import PortInUseError
from seamwatch.demo.sandbox import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    Sandbox,
    SandboxHandle,
    create_sandbox_app,
    run_sandbox,
    serve_sandbox,
)

__all__ = [
    "DEFAULT_PHASES", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "PHASE_KINDS", "FaultSchedule",
    "MailCatcher", "Phase", "PortInUseError", "Sandbox", "SandboxHandle", "create_sandbox_app",
    "mail_folder", "run_sandbox", "serve_mailcatcher", "serve_sandbox", "start_mailcatcher",
]
