"""A response against its operation's declared responses: the status (an exact code, then its
class `2XX`, then `default`), the media type, the declared headers (`required`, and each value
against its schema) and the JSON body against its schema. Every violation is `schema` with a
reason (`openapi_status`, `openapi_media_type`, `openapi_header`, `openapi_body`) and a message
naming the operation, the response code and, for the body, the JSONPath of the offending value.

Validation is openapi-schema-validator's; CPU work proportional to the body, so the exchange
calls this from a worker thread (probes/http/exchange.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from probes.http.openapi.contract import Contract, Operation
from probes.result import Category, Failure

MISSING: Any = object()  # the body was not parsed by the caller
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SKIPPED_HEADERS = frozenset({"content-type"})  # described by `content`, per the specification


def json_path(parts: Iterable[Any]) -> str:
    """`$.data[0].email` for the parts ("data", 0, "email")."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _IDENTIFIER.match(str(part)):
            out.append(f".{part}")
        else:
            out.append("[" + json.dumps(str(part)) + "]")
    return "".join(out)


def _fail(reason: str, message: str) -> Failure:
    return Failure(Category.SCHEMA, reason, message)


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def is_json_media(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _response_key(keys: Iterable[str], status: int) -> str | None:
    by_upper = {key.upper(): key for key in keys}
    for candidate in (str(status), f"{status // 100}XX", "DEFAULT"):
        if candidate in by_upper:
            return by_upper[candidate]
    return None


def _media_key(declared: Iterable[str], actual: str) -> str | None:
    by_media = {_media(key): key for key in declared}
    major = actual.split("/", 1)[0]
    for candidate in (actual, f"{major}/*", "*/*"):
        if candidate in by_media:
            return by_media[candidate]
    return None


def _violation(error: Any) -> tuple[str, str]:
    """(JSONPath, message) of a jsonschema error; a missing required property is named in the
    path, not only in the message."""
    parts = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((p for p in error.validator_value if p not in error.instance), None)
        if missing is not None:
            return json_path([*parts, missing]), "required property is missing"
    return json_path(parts), str(error.message)


def _best(validator: Any, instance: Any) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(instance))


def _header_value(raw: str, schema: Mapping[str, Any]) -> Any:
    """A header's text as the `simple` style gives it to its schema (a number, a list...)."""
    kind = schema.get("type")
    if isinstance(kind, list):  # 3.1: ["integer", "null"]
        kind = next((k for k in kind if k != "null"), None)
    if kind == "array":
        items = schema.get("items")
        item_schema = items if isinstance(items, dict) else {}
        return [_header_value(part.strip(), item_schema) for part in raw.split(",")]
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _check_headers(contract: Contract, where: str, response: Any, key: tuple[Any, ...],
                   headers: Mapping[str, str]) -> Failure | None:
    if "headers" not in response:
        return None
    declared = response / "headers"
    with declared.open() as names:
        header_names = [n for n in names if n.lower() not in _SKIPPED_HEADERS]
    for name in header_names:
        header = declared / name
        with header.open() as spec:
            required = bool(spec.get("required", False))
            has_schema = "schema" in spec
        value = headers.get(name)
        if value is None:
            if required:
                return _fail("openapi_header", f"{where}: required header {name} is missing")
            continue
        if not has_schema:
            continue
        with (header / "schema").open() as schema:
            typed = _header_value(value, schema if isinstance(schema, dict) else {})
        validator = contract.validator((*key, "header", name), header / "schema")
        error = _best(validator, typed)
        if error is not None:
            return _fail("openapi_header", f"{where}: header {name}: {error.message}")
    return None


def check_response(
    contract: Contract, op: Operation, status: int, headers: Mapping[str, str], body: bytes,
    doc: Any = MISSING,
) -> Failure | None:
    """None, or the first way the response breaks the contract. `doc` is the parsed body when
    the caller parsed it (else MISSING: parsed here when a JSON schema applies)."""
    responses = contract.node(op) / "responses"
    with responses.open() as declared:
        codes = [str(code) for code in declared]
    code = _response_key(codes, status)
    if code is None:
        return _fail("openapi_status", f"{op.label}: status {status} is not a declared response "
                     f"(declared: {', '.join(codes)})")
    where = f"{op.label} {code}"
    response = responses / code
    key = (op.method, op.path, code)
    failure = _check_headers(contract, where, response, key, headers)
    if failure is not None or "content" not in response or not body:
        return failure
    content = response / "content"
    actual = _media(headers.get("content-type", ""))
    with content.open() as media_types:
        declared_media = list(media_types)
    media = _media_key(declared_media, actual or "application/octet-stream")
    if media is None:
        return _fail("openapi_media_type", f"{where}: content type {actual or '(none)'} is not "
                     f"declared (declared: {', '.join(declared_media)})")
    if "schema" not in content / media or not is_json_media(actual):
        return None
    if doc is MISSING:
        try:
            doc = json.loads(body)
        except ValueError as exc:
            return _fail("openapi_body", f"{where}: body is not valid JSON: {exc}")
    validator = contract.validator((*key, media), content / media / "schema")
    error = _best(validator, doc)
    if error is None:
        return None
    # The message quotes the body's values: whole here, redacted and then cut with the failure.
    path, message = _violation(error)
    return _fail("openapi_body", f"{where}: body at {path}: {message}")
