"""The classifier: one response against a frozen baseline, one row per oasdiff rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from probes.drift.rules import RULES, Level, compare
from probes.drift.shape import observe
from tests.probes.drift.helpers import JSON, baseline_of

USER = {"id": 1, "email": "a@example.test", "tags": ["x"], "plan": {"name": "pro"}}
BASE = [{"data": [USER, {**USER, "nick": "n"}], "next": None},
        {"data": [USER], "next": "c2"}]

CASES: list[tuple[str, Any, list[tuple[str, str, str, str]]]] = [
    ("same shape", {"data": [USER], "next": None}, []),
    ("optional key absent", {"data": [USER, USER], "next": "c"}, []),
    ("required removed", {"data": [{k: v for k, v in USER.items() if k != "email"}],
                          "next": None},
     [("required_property_removed", "$.data[*].email", "string", "absent")]),
    ("renamed", {"data": [{"id": 1, "mail": "m", "tags": [], "plan": {"name": "p"}}],
                 "next": None},
     [("required_property_removed", "$.data[*].email", "string",
       "absent; $.data[*].mail added with that type")]),
    ("type changed", {"data": [{**USER, "id": "1"}], "next": None},
     [("type_changed", "$.data[*].id", "integer", "string")]),
    ("widened in a list", {"data": [USER, {**USER, "id": "1"}], "next": None},
     [("type_widened", "$.data[*].id", "integer", "integer|string")]),
    ("integer to number", {"data": [{**USER, "id": 1.5}], "next": None},
     [("type_widened", "$.data[*].id", "integer", "number")]),
    ("became null", {"data": [{**USER, "email": None}], "next": None},
     [("became_nullable", "$.data[*].email", "string", "null")]),
    ("became optional", {"data": [USER, {"id": 2, "tags": [], "plan": {"name": "x"}}],
                         "next": None},
     [("became_optional", "$.data[*].email", "required", "absent in 1 of 2")]),
    ("added", {"data": [{**USER, "phone": "1"}], "next": None},
     [("property_added", "$.data[*].phone", "absent", "string")]),
    ("object became array", {"data": [{**USER, "plan": ["pro"]}], "next": None},
     [("type_changed", "$.data[*].plan", "object", "array"),
      ("property_added", "$.data[*].plan[*]", "absent", "string")]),
]


@pytest.mark.parametrize(("doc", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rules(doc: Any, expected: list[tuple[str, str, str, str]]) -> None:
    baseline = baseline_of(*BASE)
    got = compare(baseline, 200, JSON, observe(doc, baseline.enum_paths)).changes
    assert [(c.rule, c.path, c.old, c.new) for c in got] == expected


@pytest.mark.parametrize(("status", "media", "rules"), [
    (200, JSON, []),
    (201, JSON, ["success_status_changed"]),
    (200, "text/html", ["media_type_changed"]),
    (204, None, ["success_status_changed"]),
])
def test_status_and_media_type(status: int, media: str | None, rules: list[str]) -> None:
    baseline = baseline_of(*BASE)
    got = compare(baseline, status, media, None).changes
    assert [c.rule for c in got] == rules
    assert all(c.level is Level.BREAKING for c in got)


def test_levels_follow_oasdiff() -> None:
    levels = {rule: level for rule, (level, _) in RULES.items()}
    assert {r for r, lv in levels.items() if lv is Level.WARNING} == {
        "optional_property_removed", "new_enum_value"}
    assert {r for r, lv in levels.items() if lv is Level.INFO} == {
        "property_added", "type_narrowed"}


def test_new_enum_value_is_a_warning() -> None:
    docs = [{"status": s} for s in ["active", "inactive"] * 5]
    baseline = baseline_of(*docs)
    assert baseline.enum_paths == {"$.status"}
    same = compare(baseline, 200, JSON, observe({"status": "active"}, baseline.enum_paths))
    assert same.changes == []
    new = compare(baseline, 200, JSON, observe({"status": "frozen"}, baseline.enum_paths))
    assert [(c.rule, c.level) for c in new.changes] == [("new_enum_value", Level.WARNING)]


def test_ids_and_free_text_are_not_enums() -> None:
    docs = [{"id": f"cus_{i}", "note": "hello world", "kind": "a"} for i in range(12)]
    assert baseline_of(*docs).enum_paths == frozenset()


def test_map_keys_are_one_path() -> None:
    docs = [{"by_id": {"123": {"n": 1}, "456": {"n": 2}}}, {"by_id": {"789": {"n": 3}}}]
    baseline = baseline_of(*docs)
    assert "$.by_id.*.n" in baseline.rules
    other = {"by_id": {"1000": {"n": 4}, "1001": {"n": 5}}}
    assert compare(baseline, 200, JSON, observe(other)).changes == []


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=4))
def test_a_learned_sample_never_drifts(docs: list[Any]) -> None:
    """Every document the baseline learned from matches it: no breaking change, no warning."""
    baseline = baseline_of(*docs)
    for doc in docs:
        got = compare(baseline, 200, JSON, observe(doc, baseline.enum_paths)).changes
        assert [c for c in got if c.level is not Level.INFO] == []
        assert got == []


@settings(max_examples=100, deadline=None)
@given(json_values, json_values)
def test_compare_is_total(learned: Any, seen: Any) -> None:
    """Any pair of documents compares without error, and every change names a known rule."""
    baseline = baseline_of(learned)
    for change in compare(baseline, 200, JSON, observe(seen, baseline.enum_paths)).changes:
        assert change.rule in RULES
        assert change.path.startswith("$")
