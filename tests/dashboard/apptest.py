"""The dashboard app under Streamlit's AppTest, opened the way every page test opens it."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboard.conftest import APP


def open_app(config: Path, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    """The app (not run yet) on `config`, with the query parameters a link would carry."""
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config))
    monkeypatch.delenv("SEAMWATCH_MAILBOX", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(params)
    return at
