"""`{{ name }}` templating: table-driven rendering, types, built-ins, unknown names."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from probes.http.templating import Scope, TemplateError, template_names

VALUES = {"id": "ch_1", "count": 3, "flag": True, "nothing": None, "items": [1, 2],
          "a.b": "dotted"}

RENDER_TEXT: list[tuple[str, str | None]] = [
    ("plain", "plain"),
    ("/v1/charges/{{ id }}", "/v1/charges/ch_1"),
    ("/v1/charges/{{id}}", "/v1/charges/ch_1"),
    ("{{ id }}-{{ count }}", "ch_1-3"),
    ("{{ flag }}", "true"),
    ("[{{ nothing }}]", "[]"),
    ("{{ a.b }}", "dotted"),
    ("{ id }", "{ id }"),
    ("{{ id", "{{ id"),
    ("{{ 1 + 1 }}", "{{ 1 + 1 }}"),  # not a name: left alone, nothing is evaluated
    ("{{ id.__class__ }}", None),  # a (dotted) name that does not exist
]


@pytest.mark.parametrize(("template", "expected"), RENDER_TEXT)
def test_render_text(template: str, expected: str | None) -> None:
    scope = Scope(VALUES)
    if expected is None:
        with pytest.raises(TemplateError):
            scope.render(template)
    else:
        assert scope.render(template) == expected


RENDER_VALUE: list[tuple[Any, Any]] = [
    ("{{ count }}", 3),  # a whole-string template keeps the type
    ("{{ flag }}", True),
    ("{{ items }}", [1, 2]),
    (" {{ count }}", " 3"),
    ({"a": "{{ id }}", "n": ["{{ count }}", 4], "{{ id }}": 1}, {"a": "ch_1", "n": [3, 4],
                                                                 "ch_1": 1}),
    (7, 7),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), RENDER_VALUE)
def test_render_value(value: Any, expected: Any) -> None:
    assert Scope(VALUES).render_value(value) == expected


def test_builtins_fixed_per_run_and_new_per_scope() -> None:
    first, second = Scope(), Scope()
    one = first.render("{{ uuid }}")
    assert uuid.UUID(one).version == 4
    assert first.render("{{ uuid }}") == one
    assert second.render("{{ uuid }}") != one
    now = first.render_value("{{ now }}")
    assert datetime.fromisoformat(now).utcoffset() is not None
    assert isinstance(first.render_value("{{ timestamp }}"), int)
    assert re.fullmatch(r"\d{10}", first.render("{{ timestamp }}"))


def test_saved_value_wins_over_builtin() -> None:
    assert Scope({"uuid": "mine"}).render("{{ uuid }}") == "mine"


def test_unknown_name_is_reported_by_name() -> None:
    with pytest.raises(TemplateError) as caught:
        Scope().render_value({"x": ["ok", "{{ charge_id }}"]})
    assert caught.value.name == "charge_id"


def test_template_names() -> None:
    assert template_names({"p": "/x/{{ a }}/{{b}}", "l": ["{{ c }}", 1]}) == {"a", "b", "c"}
    assert template_names("none") == set()
