"""The probe page's "Response shape" section (dashboard/drift.py) through AppTest, on the seeded
scenario plus a learned baseline and its drift, and the diff it draws."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from probes.drift.baseline import BaselineRecord
from probes.drift.diff import example_diff
from probes.drift.tracker import DriftEvent, Pending
from storage import baselines
from storage.database import open_store
from tests.dashboard.conftest import APP
from tests.dashboard.scenario import seed_scenario
from tests.dashboard.seed import write_config

EXAMPLE = {"before": {"$.data[*].id": "string", "$.data[*].email": "string"},
           "after": {"$.data[*].id": "string", "$.data[*].email": "null"}}


def test_example_diff_marks_what_changed() -> None:
    assert example_diff(EXAMPLE) == [
        "- $.data[*].email  string",
        "+ $.data[*].email  null",
        "  $.data[*].id     string",
    ]


@pytest.fixture
def config_with_drift(tmp_path: Path) -> Path:
    url = f"sqlite:///{tmp_path / 'seamwatch.db'}"
    store = open_store(url)
    now = int(time.time() * 1000)
    seed_scenario(store, now)
    record = BaselineRecord("payments", "list-charges", "list", frozen=True, samples=20,
                            schema={"type": "object", "required": []}, statuses=[200],
                            media_types=["application/json"], updated_ms=now, frozen_ms=now,
                            pending={"schema": None, "statuses": [200], "media_types": []})
    events = [
        DriftEvent(*record.key, 1, now - 5000, "learned", new="20 runs"),
        DriftEvent(*record.key, 1, now, "drift", "became_nullable", "breaking",
                   "$.data[*].email", "string", "null", EXAMPLE),
    ]
    baselines.save(store, Pending([record], events))
    store.close()
    return write_config(tmp_path / "seamwatch.yaml", url)


def test_probe_page_shows_the_drift_as_a_diff(config_with_drift: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(config_with_drift))
    monkeypatch.delenv("SEAMWATCH_MAILBOX", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"integration": "payments", "probe": "list-charges"})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Response shape" in [s.value for s in at.subheader]
    captions = "\n".join(c.value for c in at.caption)
    assert "step **list**: baseline frozen" in captions
    assert "awaits `seamwatch baseline accept`" in captions
    (expander,) = [e for e in at.expander if "became_nullable" in e.label]
    assert "$.data[*].email: was string, now null" in expander.label
    code = "\n".join(c.value for c in at.code)
    assert "- $.data[*].email  string" in code and "+ $.data[*].email  null" in code
