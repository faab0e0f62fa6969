"""Expectations of an `http` step (README, Probes): status, headers, body_contains, JSONPath
matchers, JSON Schema, save.

Categories: a body that is not the expected *format* is `schema` (invalid_json, json_too_deep,
unknown_charset, missing_field, wrong_type, schema_violation); a well-formed body with a wrong
*value* is `assertion` (value_mismatch, pattern_mismatch, contains_mismatch, length_mismatch,
range_mismatch, unexpected_field, header_mismatch, missing_header, body_mismatch,
status_mismatch).

JSONPath semantics: a singular path (`$.data[0].id`) selects one node; a path that can select
several (`$.data[*].id`, filters, slices, `..`) requires the matcher to hold for EVERY node it
selects, and selecting none counts as missing. Expressions are compiled once (LRU cache).
JSONPath compilation is in probes/http/jsonpaths.py, JSON Schema files in probes/http/schemas.py.
"""

from __future__ import annotations

import codecs
import json
import operator
import re
from functools import lru_cache
from typing import Any

import httpx
import jsonpath

from core.redact import is_secret_header
from probes.drift.shape import json_type
from probes.http.jsonpaths import compile_path, select
from probes.http.spec import Matcher, StatusExpectation
from probes.http.templating import Scope
from probes.result import Category, Failure

_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def show(value: Any) -> str:
    """`value` as JSON text, whole: it may hold an echoed secret, so it is not cut here. The
    failure message it goes into is redacted whole and then cut (Failure.redacted)."""
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------------------------------- status


def status_ok(expected: StatusExpectation, status: int) -> bool:
    for code in expected if isinstance(expected, list) else (expected,):
        if isinstance(code, int):
            if code == status:
                return True
        elif str(code)[0] == str(status // 100) and str(code)[1:].lower() == "xx":
            return True
    return False


def status_mismatch(expected: StatusExpectation, status: int) -> Failure:
    message = f"expected status {expected}, got {status}"
    return Failure(Category.ASSERTION, "status_mismatch", message)


# -------------------------------------------------------------------------------------- matchers



def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_ok(expected: str, value: Any) -> bool:
    actual = json_type(value)
    if expected == "number":
        return actual in ("integer", "number")
    if expected == "integer":
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == expected


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _wrong_type(label: str, wanted: str, value: Any) -> Failure:
    return Failure(
        Category.SCHEMA, "wrong_type", f"{label}: expected {wanted}, got {json_type(value)}"
    )


def check_value(label: str, matcher: Matcher, value: Any, scope: Scope) -> Failure | None:
    """Every key set on the matcher must hold for `value` (a node that exists)."""
    given = matcher.model_fields_set
    if matcher.exists is False:
        return Failure(Category.ASSERTION, "unexpected_field", f"{label}: present, expected absent")
    if matcher.type is not None and not _type_ok(matcher.type, value):
        return _wrong_type(label, matcher.type, value)
    if "equals" in given:
        want = scope.render_value(matcher.equals)
        if not json_equal(value, want):
            return Failure(Category.ASSERTION, "value_mismatch",
                           f"{label}: expected {show(want)}, got {show(value)}")
    if "not_equals" in given:
        avoid = scope.render_value(matcher.not_equals)
        if json_equal(value, avoid):
            return Failure(Category.ASSERTION, "value_mismatch",
                           f"{label}: expected anything but {show(avoid)}")
    if matcher.one_of is not None:
        options = scope.render_value(matcher.one_of)
        if not any(json_equal(value, option) for option in options):
            return Failure(Category.ASSERTION, "value_mismatch",
                           f"{label}: expected one of {show(options)}, got {show(value)}")
    if matcher.matches is not None:
        if not (isinstance(value, str) or _is_number(value)):
            return _wrong_type(label, "string", value)
        pattern = scope.render(matcher.matches)
        if _regex(pattern).search(str(value)) is None:
            return Failure(Category.ASSERTION, "pattern_mismatch",
                           f"{label}: {show(value)} does not match /{pattern}/")
    if "contains" in given:
        failure = _check_contains(label, scope.render_value(matcher.contains), value)
        if failure is not None:
            return failure
    if matcher.min_length is not None or matcher.max_length is not None:
        if not isinstance(value, str | list | dict):
            return _wrong_type(label, "string, array or object", value)
        size = len(value)
        low, high = matcher.min_length, matcher.max_length
        if (low is not None and size < low) or (high is not None and size > high):
            return Failure(Category.ASSERTION, "length_mismatch",
                           f"{label}: length {size} outside [{low}, {high}]")
    for op, bound in (("gt", matcher.gt), ("gte", matcher.gte), ("lt", matcher.lt),
                      ("lte", matcher.lte)):
        if bound is None:
            continue
        if not _is_number(value):
            return _wrong_type(label, "number", value)
        if not _COMPARE[op](value, bound):
            return Failure(Category.ASSERTION, "range_mismatch",
                           f"{label}: {show(value)} is not {op} {bound:g}")
    return None


def _check_contains(label: str, want: Any, value: Any) -> Failure | None:
    if isinstance(value, str):
        hit = isinstance(want, str) and want in value
    elif isinstance(value, list):
        hit = any(json_equal(item, want) for item in value)
    elif isinstance(value, dict):
        hit = isinstance(want, str) and want in value
    else:
        return _wrong_type(label, "string, array or object", value)
    if hit:
        return None
    return Failure(Category.ASSERTION, "contains_mismatch",
                   f"{label}: {show(value)} does not contain {show(want)}")


# -------------------------------------------------------------------------------------- JSONPath


def check_json(expected: dict[str, Matcher], doc: Any, scope: Scope) -> Failure | None:
    for expression, matcher in expected.items():
        try:
            values = select(expression, doc)
        except RecursionError:  # also python-jsonpath's JSONPathRecursionError: the document's
            return too_deep()
        except jsonpath.JSONPathError as exc:
            return Failure(Category.CONFIG, "invalid_jsonpath", f"{expression}: {exc}")
        if not values:
            if matcher.exists is False:
                continue
            return Failure(Category.SCHEMA, "missing_field", f"{expression}: not found in the body")
        for value in values:
            failure = check_value(expression, matcher, value, scope)
            if failure is not None:
                return failure
    return None


def extract(save: dict[str, str], doc: Any) -> tuple[dict[str, Any], Failure | None]:
    """Values for `save:`; a singular path saves its node, others the list of nodes."""
    saved: dict[str, Any] = {}
    first: Failure | None = None
    for name, expression in save.items():
        try:
            _, singular = compile_path(expression)
            values = select(expression, doc)
        except RecursionError:  # the document is too deep, not the expression wrong
            first = first or too_deep()
            continue
        except jsonpath.JSONPathError as exc:
            first = first or Failure(Category.CONFIG, "invalid_jsonpath", f"{expression}: {exc}")
            continue
        if not values:
            first = first or Failure(Category.SCHEMA, "missing_field",
                                     f"save {name}: {expression} not found in the body")
            continue
        saved[name] = values[0] if singular else values
    return saved, first


# ------------------------------------------------------------------------------ headers and body


# Codecs for host names, not bodies: idna cannot replace errors, punycode decodes in quadratic time.
_NOT_BODY_CHARSETS = frozenset({"idna", "punycode"})


class UnknownCharset(Exception):
    """The response declares a charset Python cannot decode text with."""

    def __init__(self, charset: str) -> None:
        super().__init__(charset)
        self.charset = charset


def decode_text(body: bytes, charset: str | None) -> str:
    """The body as text in its declared charset (UTF-8 when none), undecodable bytes replaced.
    Raises UnknownCharset for a charset that is unknown, not a text encoding (`base64`), or a
    host-name codec (`idna`, `punycode`)."""
    name = charset or "utf-8"
    try:
        if codecs.lookup(name).name in _NOT_BODY_CHARSETS:
            raise LookupError(name)
        return body.decode(name, errors="replace")
    except (LookupError, ValueError) as exc:  # UnicodeError is a ValueError
        raise UnknownCharset(name) from exc


def unknown_charset(charset: str) -> Failure:
    return Failure(Category.SCHEMA, "unknown_charset",
                   f"the body's charset {show(charset)} is not one seamwatch can decode")


def too_deep() -> Failure:
    """A JSON body nested deeper than Python's recursion limit lets it be read or checked."""
    return Failure(Category.SCHEMA, "json_too_deep", "the JSON body is nested too deeply to check")



def check_headers(
    expected: dict[str, str | Matcher], headers: httpx.Headers, scope: Scope
) -> Failure | None:
    for name, want in expected.items():
        actual = headers.get(name)
        label = f"header {name}"
        if isinstance(want, str):
            rendered = scope.render(want)
            if actual is None:
                return Failure(Category.ASSERTION, "missing_header", f"{label}: missing")
            if actual != rendered:
                shown = "***" if is_secret_header(name) else show(actual)
                return Failure(Category.ASSERTION, "header_mismatch",
                               f"{label}: expected {show(rendered)}, got {shown}")
            continue
        if actual is None:
            if want.exists is False:
                continue
            return Failure(Category.ASSERTION, "missing_header", f"{label}: missing")
        failure = check_value(label, want, actual, scope)
        if failure is not None:
            if failure.category is Category.SCHEMA or is_secret_header(name):
                return Failure(Category.ASSERTION, "header_mismatch", f"{label}: does not match")
            return failure
    return None


def check_body_contains(expected: str | list[str], text: str, scope: Scope) -> Failure | None:
    for needle in [expected] if isinstance(expected, str) else expected:
        rendered = scope.render(needle)
        if rendered not in text:
            return Failure(Category.ASSERTION, "body_mismatch",
                           f"body does not contain {show(rendered)}")
    return None
