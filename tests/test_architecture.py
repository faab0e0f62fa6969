"""The layers contract (docs/architecture.md, "Layers") holds: import-linter runs its contracts
from pyproject.toml, and every top-level package of the repository is under them."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _importlinter_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_import_contracts_are_kept() -> None:
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_package_is_in_the_layers() -> None:
    packages = {
        path.parent.name for path in ROOT.glob("*/__init__.py")
        if path.parent.name not in {"tests", "bench"}
    }
    config = _importlinter_config()
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    layered = {name.strip() for layer in layers for name in layer.split("|")}
    assert packages == layered == set(config["root_packages"])
    cycles = next(c for c in config["contracts"] if c["type"] == "acyclic_siblings")
    assert set(cycles["ancestors"]) == packages
