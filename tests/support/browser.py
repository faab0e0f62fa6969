"""Debian's Chromium driven by Playwright (its own browser download cannot work offline), and
`seamwatch dashboard` in a subprocess for it to open."""

from __future__ import annotations

import contextlib
import os
import queue
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-gpu"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"  # gitignored: screenshots for a reviewer to look at


def require_chromium() -> None:
    """Skip without Chromium — or fail, when SEAMWATCH_REQUIRE_SERVICES=1 (CI)."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing (install Debian's chromium: `make browser`)"
    if os.environ.get("SEAMWATCH_REQUIRE_SERVICES") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@contextlib.contextmanager
def chromium_page(timezone_id: str = "Europe/Berlin") -> Iterator[Any]:
    """A Playwright page in a fresh headless Chromium (1400×1000)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                      timezone_id=timezone_id)
        page = context.new_page()
        page.set_default_timeout(45_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_line(proc: subprocess.Popen[str], needle: str, timeout: float) -> list[str]:
    """Read the server's output until a line contains `needle` (blocking reads, no polling)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"dashboard did not start within {timeout}s: {''.join(seen)}")
        if line is None:
            pytest.fail(f"dashboard exited early: {''.join(seen)}")
        seen.append(line)
        if needle in line:
            return seen


@contextlib.contextmanager
def dashboard_server(config: Path) -> Iterator[str]:
    """`seamwatch dashboard -c config` on a free loopback port; yields its base URL."""
    require_chromium()
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "seamwatch", "dashboard", "-c", str(config), "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _wait_for_line(proc, "URL:", timeout=90)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
