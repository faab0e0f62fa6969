from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.fleet import CountingTarget
from tests.support.servers import UvicornThread

WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write YAML (dedented) to tmp_path/seamwatch.yaml and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "seamwatch.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def target() -> Iterator[tuple[CountingTarget, str]]:
    """A loopback target counting requests per probe and location, and its URL."""
    app = CountingTarget()
    with UvicornThread(app.app) as server:
        yield app, server.url
