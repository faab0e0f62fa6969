"""An exclusive advisory lock on a file beside the data it guards, held while the handle is
open (closing the file, or the process dying, releases it)."""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO


def try_lock(path: Path) -> IO[bytes] | None:
    """The open, locked file; None when another process holds the lock."""
    handle = open(path, "a+b")  # noqa: SIM115
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
