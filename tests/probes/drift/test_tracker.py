"""The drift book: learning until frozen, events once per change, streak-based rules, values
never kept, large bodies bounded."""

from __future__ import annotations

import json
from typing import Any

from core.redact import Redactor
from probes.drift.baseline import BaselineRecord, drifted_shape, merge_schemas, schema_of
from probes.drift.rules import Change, compare
from probes.drift.session import DriftSession
from probes.drift.shape import MAX_ITEMS, observe, reduce
from probes.drift.spec import DriftPolicy
from probes.drift.tracker import DriftTracker
from probes.result import Attempt, Category
from tests.probes.drift.helpers import JSON

KEY = ("i", "p", "s")
CANARY = "canary-9f8e7d6c5b4a"


def _teach(tracker: DriftTracker, docs: list[Any], learn_runs: int) -> None:
    for doc in docs:
        tracker.learn(KEY, [(200, JSON, reduce(doc))], learn_runs)


def _judge(tracker: DriftTracker, doc: Any, runs: int = 3) -> list[Change]:
    baseline = tracker.baseline(KEY)
    assert baseline is not None
    observed = observe(doc, baseline.enum_paths)
    comparison = compare(baseline, 200, JSON, observed)
    return tracker.judge(KEY, baseline, comparison, observed, runs,
                         lambda: drifted_shape(200, JSON, doc, True))


def test_learns_then_freezes_after_learn_runs() -> None:
    tracker = DriftTracker()
    _teach(tracker, [{"a": 1}] * 2, learn_runs=3)
    assert tracker.baseline(KEY) is None
    _teach(tracker, [{"a": 1, "b": "x"}], learn_runs=3)
    baseline = tracker.baseline(KEY)
    assert baseline is not None
    assert baseline.rules["$.a"].required and not baseline.rules["$.b"].required
    pending = tracker.take_pending()
    assert [e.kind for e in pending.events] == ["learned"]
    assert pending.records[0].frozen and pending.records[0].samples == 3


def test_an_event_is_recorded_once_while_the_change_lasts() -> None:
    tracker = DriftTracker()
    _teach(tracker, [{"a": 1}], learn_runs=1)
    tracker.take_pending()
    for _ in range(3):
        assert [c.rule for c in _judge(tracker, {"a": "x"})] == ["type_changed"]
    pending = tracker.take_pending()
    assert [(e.kind, e.rule, e.level, e.path) for e in pending.events] == [
        ("drift", "type_changed", "breaking", "$.a")]
    assert pending.records[0].pending is not None  # the shape `baseline accept` merges


def test_optional_property_removed_and_narrowed_need_a_streak() -> None:
    tracker = DriftTracker()
    _teach(tracker, [{"a": 1, "opt": True}, {"a": None}], learn_runs=2)
    for run in range(1, 4):
        rules = [c.rule for c in _judge(tracker, {"a": 1}, runs=3)]
        assert rules == ([] if run < 3 else ["optional_property_removed", "type_narrowed"])
    assert [c.rule for c in _judge(tracker, {"a": None, "opt": False}, runs=3)] == []


def test_an_older_generation_is_not_installed() -> None:
    tracker = DriftTracker()
    _teach(tracker, [{"a": 1}], learn_runs=1)
    stale = BaselineRecord(*KEY, generation=1, frozen=True, schema={"type": "array"})
    assert tracker.install([stale]) == 0
    newer = BaselineRecord(*KEY, generation=2)
    assert tracker.install([newer]) == 1
    assert tracker.baseline(KEY) is None  # learning again


def test_no_value_is_kept_anywhere() -> None:
    """Keys and types only: a canary value in every position never reaches the records,
    events or messages (they could be secrets or personal data)."""
    doc = {"token": CANARY, "user": {"email": f"{CANARY}@example.test", "name": CANARY},
           "list": [CANARY, {"x": CANARY}], "state": "on"}
    tracker = DriftTracker()
    _teach(tracker, [doc] * 4, learn_runs=4)
    changed = {**doc, "token": None, "user": {"email": 5, "name": CANARY, "extra": CANARY}}
    messages = [c.message() for c in _judge(tracker, changed)]
    pending = tracker.take_pending()
    dumped = json.dumps([vars_of(r) for r in pending.records]
                        + [vars_of(e) for e in pending.events] + messages)
    assert CANARY not in dumped
    assert "token" in dumped  # keys are kept


def vars_of(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def test_a_large_list_is_summarised_by_item_shape() -> None:
    items = [{"id": i, "name": "n", "tags": ["a", "b"]} for i in range(1000)]
    reduced = reduce({"data": items})
    assert len(reduced.doc["data"]) == MAX_ITEMS
    observed = observe({"data": items})
    assert observed.paths["$.data[*]"].seen == MAX_ITEMS
    assert len(observed.paths) == 7  # $, data, its items, id, name, tags, their items


def test_a_deep_document_is_bounded() -> None:
    doc: Any = 1
    for _ in range(500):
        doc = {"a": doc}
    observed = observe(doc)
    assert not observed.complete and len(observed.paths) <= 40


def _session(tracker: DriftTracker, **policy: Any) -> DriftSession:
    return DriftSession(tracker, *KEY[:2], DriftPolicy(learn_runs=1, **policy))


def test_session_policy() -> None:
    tracker = DriftTracker()
    session = _session(tracker)
    assert session.check("s", 200, "application/json", b'{"a": 1}', None, False) is None
    session.finish(attempt := Attempt())
    assert tracker.baseline(KEY) is not None and attempt.degraded_reason is None

    failure = _session(tracker).check("s", 200, JSON, b'{"a": null}', {"a": None}, True)
    assert failure is not None and failure.category is Category.SCHEMA
    assert failure.reason == "drift_became_nullable"
    assert failure.message.endswith("$.a: became nullable (was integer, now null)")

    degrade = _session(tracker, on_breaking="degrade")
    assert degrade.check("s", 200, JSON, b'{"a": null}', {"a": None}, True) is None
    degrade.finish(attempt := Attempt())
    assert attempt.degraded_reason == (
        "step s: response shape drifted: $.a: became nullable (was integer, now null)")

    record = _session(tracker, on_breaking="record")
    assert record.check("s", 200, JSON, b'{"a": null}', {"a": None}, True) is None
    record.finish(attempt := Attempt())
    assert attempt.degraded_reason is None


def test_a_failed_attempt_teaches_nothing() -> None:
    tracker = DriftTracker()
    session = _session(tracker)
    session.check("s", 200, JSON, b'{"a": 1}', {"a": 1}, True)
    failed = Attempt()
    failed.failure = compare_failure()
    session.finish(failed)
    assert tracker.baseline(KEY) is None


def compare_failure() -> Any:
    from probes.result import Failure
    return Failure(Category.SERVER_ERROR, "http_500", "HTTP 500")


def test_a_secret_echoed_as_a_key_is_redacted() -> None:
    """Keys are kept, so a secret a server echoes as a key is masked in what storage gets."""
    secret = "sk_live_s3cr3t_k3y"
    tracker = DriftTracker(Redactor([secret]))
    _teach(tracker, [{secret: 1, "a": 1}], learn_runs=1)
    _judge(tracker, {secret: "x", "a": 1})
    pending = tracker.take_pending()
    dumped = json.dumps([vars_of(r) for r in pending.records]
                        + [vars_of(e) for e in pending.events])
    assert secret not in dumped and "***" in dumped
    assert any(e.path == "$['***']" or e.path == "$.***" for e in pending.events)


def test_a_repeated_shape_learns_the_same_schema_as_merging_every_response() -> None:
    """The tracker skips genson for a shape it merged already; the result must not differ."""
    docs: list[Any] = [{"a": 1, "b": [{"x": "s"}]}, {"a": None}, {"a": 2, "b": []},
                       {"a": 1, "b": [{"x": "t"}]}, {"a": None}, {"a": 3, "c": {"d": True}}]
    tracker = DriftTracker()
    _teach(tracker, docs, learn_runs=len(docs))
    record = tracker.record(KEY)
    assert record is not None and record.frozen and record.samples == len(docs)
    assert record.schema == merge_schemas(*(schema_of(reduce(doc)) for doc in docs))


def test_learning_progress_is_owed_only_when_asked_for() -> None:
    tracker = DriftTracker()
    _teach(tracker, [{"a": 1}], learn_runs=5)
    first = tracker.take_pending(learning=False)
    assert [r.samples for r in first.records] == [1]  # a new baseline is listed at once
    _teach(tracker, [{"a": 1}, {"a": 2}], learn_runs=5)
    assert not tracker.take_pending(learning=False)
    assert [r.samples for r in tracker.take_pending(learning=True).records] == [3]
    _teach(tracker, [{"a": 1}, {"a": 2}], learn_runs=5)  # frozen: owed at once
    frozen = tracker.take_pending(learning=False)
    assert [(r.frozen, r.samples) for r in frozen.records] == [(True, 5)]
    assert [e.kind for e in frozen.events] == ["learned"]
