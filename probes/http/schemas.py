"""JSON Schema expectations: schema files (relative to the config file) compiled once per path and
recompiled when the file changes; a violation is `schema`/`schema_violation` with the JSON pointer
of the offending value. An unreadable or invalid schema file is a `config` failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import exceptions as js_exceptions
from jsonschema import validators

from probes.result import Category, Failure

_SCHEMAS: dict[str, tuple[int, Any]] = {}


def _load_validator(path: Path) -> Any:
    """A validator for the schema file, cached per path and reloaded when the file changes.
    Raises OSError / ValueError / SchemaError."""
    key = str(path)
    mtime = path.stat().st_mtime_ns
    cached = _SCHEMAS.get(key)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    schema = json.loads(path.read_bytes())
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    _SCHEMAS[key] = (mtime, validator)
    return validator


def _pointer(parts: Any) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped)


def check_schema(path: Path, doc: Any) -> Failure | None:
    try:
        validator = _load_validator(path)
    except OSError as exc:
        return Failure(Category.CONFIG, "schema_unreadable", f"schema {path}: {exc.strerror}")
    except (ValueError, js_exceptions.SchemaError) as exc:
        return Failure(Category.CONFIG, "invalid_schema", f"schema {path}: {str(exc)[:200]}")
    error = js_exceptions.best_match(validator.iter_errors(doc))
    if error is None:
        return None
    # The message quotes the body's values: whole here, redacted and then cut with the failure.
    return Failure(Category.SCHEMA, "schema_violation",
                   f"schema violation at {_pointer(error.absolute_path)}: {error.message}")
