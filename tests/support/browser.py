"""Debian's Chromium driven by Playwright (its own browser download cannot work offline)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--disable-gpu"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


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
