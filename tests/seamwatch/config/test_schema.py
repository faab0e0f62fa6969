"""`seamwatch schema`: the JSON Schema of the whole config file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from ruamel.yaml import YAML

from core.types import format_duration, parse_duration
from seamwatch.config import config_json_schema

REFERENCE_EXAMPLE = Path(__file__).parent / "corpus" / "valid" / "reference-example.yaml"


def _design() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(REFERENCE_EXAMPLE.read_text())
    return data


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = config_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["integrations"]


def test_schema_accepts_the_design_example() -> None:
    errors = list(Draft202012Validator(config_json_schema()).iter_errors(_design()))
    assert errors == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(integratons=[]), []),
        (lambda d: d["runner"].update(concurrency="many"), ["runner", "concurrency"]),
        (lambda d: d["storage"].update(raw_retention="30 days"), ["storage", "raw_retention"]),
        (lambda d: d["integrations"][0]["auth"].update(type="oauth3"),
         ["integrations", 0, "auth"]),
    ],
)
def test_schema_rejects_bad_files(change: Any, path: list[Any]) -> None:
    data = _design()
    change(data)
    errors = list(Draft202012Validator(config_json_schema()).iter_errors(data))
    assert errors
    assert any(list(e.absolute_path) == path for e in errors)


@given(st.integers(min_value=1, max_value=999))
def test_millisecond_durations_round_trip(millis: int) -> None:
    seconds = millis / 1000
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


@given(st.integers(min_value=1, max_value=400 * 86400))
def test_whole_second_durations_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(float(seconds))) == seconds
