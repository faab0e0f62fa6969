"""Matchers, status forms, headers, body text, save and JSON Schema (table-driven)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import jsonpath
import pytest

from probes.http.expectations import (
    check_body_contains,
    check_headers,
    check_json,
    extract,
    json_equal,
    status_ok,
)
from probes.http.jsonpaths import select
from probes.http.schemas import check_schema
from probes.http.spec import Matcher
from probes.http.templating import Scope
from probes.result import Category

DOC = {
    "id": "ch_123", "amount": 1250, "ratio": 0.5, "paid": True, "note": None,
    "tags": ["a", "b"], "meta": {"k": "v"},
    "data": [{"id": "ch_1", "n": 1}, {"id": "ch_2", "n": 2}],
}

# (path, matcher, expected reason or None)
MATCHERS: list[tuple[str, dict[str, Any], str | None]] = [
    ("$.id", {"equals": "ch_123"}, None),
    ("$.id", {"equals": "{{ saved }}"}, None),
    ("$.amount", {"equals": "{{ number }}"}, None),
    ("$.id", {"equals": "ch_999"}, "value_mismatch"),
    ("$.paid", {"equals": 1}, "value_mismatch"),  # true is not 1
    ("$.amount", {"equals": 1250.0}, None),
    ("$.note", {"equals": None}, None),
    ("$.id", {"not_equals": "ch_123"}, "value_mismatch"),
    ("$.id", {"one_of": ["x", "ch_123"]}, None),
    ("$.id", {"one_of": ["x"]}, "value_mismatch"),
    ("$.id", {"type": "string"}, None),
    ("$.amount", {"type": "integer"}, None),
    ("$.amount", {"type": "number"}, None),
    ("$.ratio", {"type": "integer"}, "wrong_type"),
    ("$.paid", {"type": "number"}, "wrong_type"),
    ("$.note", {"type": "null"}, None),
    ("$.tags", {"type": "array"}, None),
    ("$.meta", {"type": "object"}, None),
    ("$.id", {"type": "array"}, "wrong_type"),
    ("$.id", {"matches": "^ch_"}, None),
    ("$.id", {"matches": "^cus_"}, "pattern_mismatch"),
    ("$.amount", {"matches": r"^\d+$"}, None),
    ("$.tags", {"matches": "a"}, "wrong_type"),
    ("$.tags", {"contains": "b"}, None),
    ("$.tags", {"contains": "z"}, "contains_mismatch"),
    ("$.id", {"contains": "123"}, None),
    ("$.meta", {"contains": "k"}, None),
    ("$.amount", {"contains": 1}, "wrong_type"),
    ("$.tags", {"min_length": 2, "max_length": 2}, None),
    ("$.tags", {"min_length": 3}, "length_mismatch"),
    ("$.id", {"max_length": 3}, "length_mismatch"),
    ("$.amount", {"min_length": 1}, "wrong_type"),
    ("$.amount", {"gt": 1000, "lte": 1250}, None),
    ("$.amount", {"lt": 1000}, "range_mismatch"),
    ("$.amount", {"gte": 1251}, "range_mismatch"),
    ("$.id", {"gt": 0}, "wrong_type"),
    ("$.id", {"exists": True}, None),
    ("$.missing", {"exists": False}, None),
    ("$.id", {"exists": False}, "unexpected_field"),
    ("$.missing", {"equals": 1}, "missing_field"),
    ("$.missing", {"exists": True}, "missing_field"),
    ("$.data[0].id", {"equals": "ch_1"}, None),
    ("$.data[5].id", {"type": "string"}, "missing_field"),
    ("$.data[*].id", {"matches": "^ch_"}, None),  # every node must hold
    ("$.data[*].n", {"lt": 2}, "range_mismatch"),
    ("$.data[?@.n > 5]", {"type": "object"}, "missing_field"),
    ("$..id", {"type": "string"}, None),
    ("$.[", {"exists": True}, "invalid_jsonpath"),
]


@pytest.mark.parametrize(("path", "matcher", "reason"), MATCHERS)
def test_json_matchers(path: str, matcher: dict[str, Any], reason: str | None) -> None:
    scope = Scope({"saved": "ch_123", "number": 1250})
    failure = check_json({path: Matcher.model_validate(matcher)}, DOC, scope)
    if reason is None:
        assert failure is None, failure
        return
    assert failure is not None and failure.reason == reason
    expected_category = {
        "missing_field": Category.SCHEMA, "wrong_type": Category.SCHEMA,
        "invalid_jsonpath": Category.CONFIG,
    }.get(reason, Category.ASSERTION)
    assert failure.category is expected_category
    if reason != "invalid_jsonpath":
        assert path in failure.message


@pytest.mark.parametrize(("expected", "status", "ok"), [
    (200, 200, True), (200, 201, False), ([200, 204], 204, True), ([200, 204], 202, False),
    ("2xx", 299, True), ("2xx", 301, False), ("4xx", 404, True), ("5XX", 503, True),
])
def test_status_forms(expected: Any, status: int, ok: bool) -> None:
    assert status_ok(expected, status) is ok


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1, 1.0, True), (True, 1, False), (False, 0, False), ([1, True], [1, True], True),
    ([1, True], [1, 1], False), ({"a": [True]}, {"a": [1]}, False), ({"a": 1}, {"a": 1}, True),
    ("1", 1, False), (None, None, True),
])
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    assert json_equal(a, b) is equal


HEADERS = httpx.Headers({"X-Version": "2.4.1", "Content-Type": "application/json",
                         "Set-Cookie": "session=secret-value"})


@pytest.mark.parametrize(("expected", "reason"), [
    ({"x-version": "2.4.1"}, None),
    ({"X-Version": "{{ version }}"}, None),
    ({"X-Version": "2.4.2"}, "header_mismatch"),
    ({"X-Missing": "1"}, "missing_header"),
    ({"Content-Type": {"matches": "json"}}, None),
    ({"X-Version": {"matches": "^3"}}, "pattern_mismatch"),
    ({"X-Missing": {"exists": False}}, None),
    ({"X-Missing": {"matches": "."}}, "missing_header"),
    ({"Set-Cookie": "other"}, "header_mismatch"),
])
def test_headers(expected: dict[str, Any], reason: str | None) -> None:
    parsed = {k: v if isinstance(v, str) else Matcher.model_validate(v)
              for k, v in expected.items()}
    failure = check_headers(parsed, HEADERS, Scope({"version": "2.4.1"}))
    assert (failure.reason if failure else None) == reason
    if failure is not None:
        assert failure.category is Category.ASSERTION
        assert "secret-value" not in failure.message  # credential-like headers are masked


@pytest.mark.parametrize(("expected", "reason"), [
    ("hello", None), (["hello", "world"], None), (["hello", "moon"], "body_mismatch"),
    ("{{ word }}", None),
])
def test_body_contains(expected: str | list[str], reason: str | None) -> None:
    failure = check_body_contains(expected, "hello world", Scope({"word": "world"}))
    assert (failure.reason if failure else None) == reason


def test_extract_singular_list_and_missing() -> None:
    saved, failure = extract({"id": "$.id", "ids": "$.data[*].id"}, DOC)
    assert failure is None and saved == {"id": "ch_123", "ids": ["ch_1", "ch_2"]}
    saved, failure = extract({"id": "$.id", "gone": "$.nope"}, DOC)
    assert saved == {"id": "ch_123"}
    assert failure is not None and (failure.category, failure.reason) == ("schema",
                                                                          "missing_field")


def test_schema_file_violation_pointer_cache_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"type": "object", "properties": {"data": {"type": "array",'
                    ' "items": {"properties": {"n": {"type": "string"}}}}}}')
    failure = check_schema(path, DOC)
    assert failure is not None and failure.reason == "schema_violation"
    assert re.search(r"at /data/\d/n: ", failure.message)
    path.write_text('{"type": "object"}')
    os.utime(path, ns=(1, 1))  # a different mtime, whatever the clock resolution
    assert check_schema(path, DOC) is None


@pytest.mark.parametrize(("content", "reason"), [
    (None, "schema_unreadable"), ("{not json", "invalid_schema"),
    ('{"type": "no-such-type"}', "invalid_schema"),
])
def test_schema_file_problems_are_config(tmp_path: Path, content: str | None,
                                         reason: str) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content)
    failure = check_schema(path, DOC)
    assert failure is not None and (failure.category, failure.reason) == ("config", reason)


PATH_DOC = {"a": {"b": [{"c d": 1}, {"x": None}]}, "0": 5, "l": [1, 2], "d": {"1": "one"},
            "s": "str", "t": True}


@pytest.mark.parametrize("expression", [
    "$", "$.a", "$.a.b[0]", "$.a.b[0]['c d']", "$.a.b[1].x", "$.a.b[2]", "$['0']", "$[0]",
    "$.l[1]", "$.l.x", "$.zz", "$.t.x", "$.l['1']", "$.d[1]", "$.s[0]", "$.a[0]",
    "$.a.b[*].x", "$..x", "$.l[-1]",
])
def test_fast_paths_agree_with_python_jsonpath(expression: str) -> None:
    assert select(expression, PATH_DOC) == jsonpath.findall(expression, PATH_DOC)
