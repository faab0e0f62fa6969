"""The drift book's trips to the database (seamwatch/drift_sync.py), on a real SQLite file: a
process reads back what another one changed (a `baseline reset`, a baseline learned by a second
runner), never its own saves, and saves learning progress on its last sync."""

from __future__ import annotations

from pathlib import Path

from probes.drift.shape import reduce
from probes.drift.tracker import DriftTracker
from seamwatch.drift_sync import DriftSync
from storage import baselines
from storage.database import Store, open_store
from tests.probes.drift.helpers import JSON

KEY = ("crm", "customers", "list")
OTHER = ("crm", "orders", "list")


def _store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'drift.db'}")


def _learn(sync: DriftSync, key: tuple[str, str, str], runs: int, learn_runs: int = 3) -> None:
    for run in range(runs):
        sync.tracker.learn(key, [(200, JSON, reduce({"id": run, "name": "x"}))], learn_runs)


def test_load_takes_what_others_changed_and_not_its_own_saves(tmp_path: Path) -> None:
    store = _store(tmp_path)
    mine, theirs = DriftSync(store, DriftTracker()), DriftSync(store, DriftTracker())
    assert mine.load() == 0 and theirs.load() == 0
    _learn(mine, KEY, runs=3)  # frozen
    mine.sync()
    assert mine.load() == 0  # its own save
    assert theirs.load() == 1 and theirs.tracker.baseline(KEY) is not None
    _learn(theirs, OTHER, runs=1)
    theirs.sync()
    assert mine.load() == 1 and mine.tracker.record(OTHER) is not None
    assert baselines.reset(store, [KEY]) == [KEY]
    assert mine.load() == 1 and theirs.load() == 1  # generation 2: both learn again
    assert mine.tracker.baseline(KEY) is None and theirs.tracker.baseline(KEY) is None


def test_learning_progress_is_saved_on_the_last_sync(tmp_path: Path) -> None:
    store = _store(tmp_path)
    sync = DriftSync(store, DriftTracker())
    sync.load()
    _learn(sync, KEY, runs=1, learn_runs=10)
    sync.sync()
    _learn(sync, KEY, runs=2, learn_runs=10)
    sync.sync()
    assert [r.samples for r in baselines.select(store, "crm")] == [1]
    sync.sync(final=True)
    assert [r.samples for r in baselines.select(store, "crm")] == [3]
