"""Each command loads the config once and passes the loaded `Config` on (the CLI validates it,
`serve` and `up` run on that same object instead of reading the file again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import seamwatch.config.load as config_load
from seamwatch import cli, up
from seamwatch.serve import ServeProcess

CONFIG = """
storage: {url: "sqlite:///runs.db"}
runner: {listen: null}
integrations:
  - name: shop
    probes:
      - {name: list, steps: [{name: list, url: "http://127.0.0.1:9/v1/items"}]}
"""


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every config file read from now on; the commands run without logging set-up and with a
    `serve` that stops as soon as it is built."""
    seen: list[Path] = []
    real = config_load._load

    def counting(path: Path, environ: Any) -> config_load.Config:
        seen.append(path)
        return real(path, environ)

    async def stop_at_once(self: ServeProcess) -> None:
        self.store.close()

    monkeypatch.setattr(config_load, "_load", counting)
    monkeypatch.setattr(cli, "setup_logging", lambda *args: None)
    monkeypatch.setattr(ServeProcess, "run", stop_at_once)
    return seen


def _run(command: str, config: Path, *extra: str) -> int:
    args = cli._parser().parse_args([command, "-c", str(config), *extra])
    run: Callable[[Any], int] = cli.COMMANDS[command]
    return run(args)


def test_serve_loads_the_config_once(tmp_path: Path, loads: list[Path]) -> None:
    config = tmp_path / "seamwatch.yaml"
    config.write_text(CONFIG)
    assert _run("serve", config) == 0
    assert loads == [config]


class _NoDashboard:
    url = "http://localhost:0"

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def start(self) -> None:
        pass

    async def watch(self, stopping: Callable[[], bool]) -> None:
        pass

    def stop(self) -> None:
        pass


def test_up_loads_the_config_once(tmp_path: Path, loads: list[Path],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(up, "DashboardProcess", _NoDashboard)
    config = tmp_path / "seamwatch.yaml"
    config.write_text(CONFIG)
    assert _run("up", config) == 0
    assert loads == [config]
