"""Reading OpenAPI documents (probes/http/openapi/document.py): YAML or JSON, string keys for
YAML's integer status codes, aliases that would expand without bound refused, a document
compiled once per file and modification time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from probes.http.openapi import document
from probes.http.openapi.document import SpecProblem, load_local, parse
from tests.probes.http.openapi.docs import CUSTOMERS_30


def test_yaml_status_codes_become_strings() -> None:
    doc = parse(CUSTOMERS_30)
    assert "200" in doc["paths"]["/customers"]["get"]["responses"]


def test_aliases_that_expand_without_bound_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(document, "MAX_VALUES", 10_000)
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    with pytest.raises(SpecProblem, match="expands to more than 10,000 values"):
        parse("\n".join(lines))


def test_a_file_is_compiled_once_per_modification(tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    spec.write_text(CUSTOMERS_30)
    first = load_local(spec)
    assert load_local(spec) is first
    spec.write_text(CUSTOMERS_30.replace("listCustomers", "listClients"))
    stat = spec.stat()
    os.utime(spec, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_local(spec)
    assert second is not first and "listClients" in second.operations
