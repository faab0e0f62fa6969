"""Run the real `seamwatch` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cli_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEAMWATCH_CONFIG")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra or {})
    return env


def run_cli(
    args: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seamwatch", *args], cwd=cwd, env=cli_env(env),
        capture_output=True, text=True, timeout=timeout,
    )


def wait_until(predicate: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy (synchronisation on an observable
    condition, with a deadline that only bounds a failing test)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class CliProcess:
    """A long-running `seamwatch` command in a subprocess with its stderr collected line by line
    (logs go to stderr)."""

    def __init__(self, args: Sequence[str], *, cwd: Path,
                 env: Mapping[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "seamwatch", *args], cwd=cwd, env=cli_env(env),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            self._queue.put(line)

    def wait_for_log(self, pattern: str, timeout: float = 60) -> str:
        regex = re.compile(pattern)
        for line in list(self.lines):
            if regex.search(line):
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.proc.poll() is not None and self._queue.empty()):
                raise AssertionError(
                    f"serve never logged /{pattern}/; it logged:\n{''.join(self.lines)}"
                )
            try:
                line = self._queue.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if regex.search(line):
                return line

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def __enter__(self) -> CliProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.kill()


class ServeProcess(CliProcess):
    """`seamwatch serve -c CONFIG`, run from the config's folder."""

    def __init__(self, config: Path, *, env: Mapping[str, str] | None = None,
                 log_level: str = "INFO") -> None:
        super().__init__(["--log-level", log_level, "serve", "-c", str(config)],
                         cwd=config.parent, env=env)
