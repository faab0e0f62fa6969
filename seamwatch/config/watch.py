"""Notices edits to the config file (and the `.env` beside it) by polling their stat: portable,
no inotify dependency, and an editor's write-to-temp-then-rename is seen like any other change."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

Signature = tuple[tuple[int, int, int] | None, ...]


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class ConfigWatcher:
    def __init__(self, path: Path, interval_s: float = 2.0) -> None:
        self.paths = (path, path.parent / ".env")
        self.interval_s = interval_s
        self._last = self.signature()

    def signature(self) -> Signature:
        return tuple(_stat(p) for p in self.paths)

    def changed(self) -> bool:
        current = self.signature()
        if current == self._last:
            return False
        self._last = current
        return True

    async def changes(self) -> AsyncIterator[None]:
        while True:
            await asyncio.sleep(self.interval_s)
            if self.changed():
                yield None
