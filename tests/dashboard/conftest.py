"""Fixtures for the dashboard tests: a seeded scenario database with a config pointing at it."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.database import open_store
from tests.dashboard.scenario import seed_scenario
from tests.dashboard.seed import write_config
from tests.dashboard.sizes import SIZES, Sized, make

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "streamlit_app.py"


@dataclass(frozen=True)
class Scenario:
    config_path: Path
    db_url: str
    now_ms: int


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("scenario")
    url = f"sqlite:///{folder / 'seamwatch.db'}"
    store = open_store(url)
    now = int(time.time() * 1000)
    seed_scenario(store, now)
    store.close()
    return Scenario(write_config(folder / "seamwatch.yaml", url), url, now)


@pytest.fixture
def empty_config(tmp_path: Path) -> Path:
    """A valid config whose database does not exist yet."""
    return write_config(tmp_path / "seamwatch.yaml", f"sqlite:///{tmp_path / 'none.db'}")


@pytest.fixture(scope="session", params=SIZES)
def sized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Sized:
    """Each of the three databases of tests/dashboard/sizes.py in turn."""
    return make(request.param, tmp_path_factory.mktemp(f"size-{request.param}"))


class _ArrowFallbacks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def arrow_compatible_tables() -> Iterator[None]:
    """Every table a page sends converts to Arrow as it is: a column mixing types (an int and
    "") makes Streamlit log a traceback and guess ("Applying automatic fixes"), which `serve`'s
    and the demo's logs must never show."""
    handler = _ArrowFallbacks()
    logger = logging.getLogger("streamlit.dataframe_util")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not handler.messages, handler.messages
