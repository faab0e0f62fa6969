from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write YAML (dedented) to tmp_path/seamwatch.yaml and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "seamwatch.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write
