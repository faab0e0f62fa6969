"""Every malformed file in corpus/ must fail with exactly the problems listed in cases.yaml:
the same line, column and key path, and a message containing the expected text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from seamwatch.config import ConfigError, load_config

CORPUS = Path(__file__).parent / "corpus"
_EXPECTED = re.compile(r"^(\d+):(\d+): (.*?): (.+)$")


def _cases() -> dict[str, list[str]]:
    cases: dict[str, list[str]] = YAML(typ="safe").load((CORPUS / "cases.yaml").read_text())
    return cases


@pytest.fixture(scope="module")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus copied to a temporary folder, plus what git cannot hold: a schema "file" that
    cannot be read (a directory in its place)."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    (target / "schemas" / "unreadable.json").mkdir()
    return target


def test_corpus_is_large_and_every_file_has_expectations() -> None:
    files = {p.name for p in CORPUS.glob("*.yaml")} - {"cases.yaml"}
    assert len(files) >= 30
    assert files == set(_cases())


@pytest.mark.parametrize(("filename", "expected"), sorted(_cases().items()))
def test_malformed_file_reports_each_problem_at_its_position(
    corpus_copy: Path, filename: str, expected: list[str]
) -> None:
    path = corpus_copy / filename
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    problems = caught.value.problems
    got = [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in problems]
    assert len(problems) == len(expected), "\n".join(got)
    for want, problem in zip(expected, problems, strict=True):
        found = _EXPECTED.match(want)
        assert found is not None, want
        line, col, key_path, message = found.groups()
        assert (problem.line, problem.col, problem.path) == (int(line), int(col), key_path), got
        assert message in problem.message, got
        assert problem.file == str(path)


def test_error_text_is_one_problem_per_line_in_check_format(corpus_copy: Path) -> None:
    path = corpus_copy / "unknown-storage-key.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value).splitlines() == [
        f"{path}:3:3: storage.raw_retension: unknown key `raw_retension`; "
        "did you mean `raw_retention`?",
        f"{path}:6:5: defaults.alerts.failure_treshold: unknown key `failure_treshold`; "
        "did you mean `failure_threshold`?",
    ]


def test_whole_file_problem_has_no_key_path(corpus_copy: Path) -> None:
    path = corpus_copy / "top-level-list.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value).startswith(f"{path}:1:1: the top level must be a mapping")


def test_no_problem_message_mentions_pydantic(corpus_copy: Path) -> None:
    jargon = ("Field required", "Input should", "Extra inputs", "Value error", "pydantic",
              "union_tag", "function-after")
    for filename in _cases():
        with pytest.raises(ConfigError) as caught:
            load_config(corpus_copy / filename, environ={})
        for word in jargon:
            assert word not in str(caught.value), (filename, str(caught.value))


def test_secret_values_are_not_echoed_in_problems(corpus_copy: Path) -> None:
    texts = []
    for filename in ("unknown-auth-key.yaml", "missing-token-url.yaml",
                     "api-key-header-and-query.yaml", "reserved-auth-probe-name.yaml"):
        with pytest.raises(ConfigError) as caught:
            load_config(corpus_copy / filename, environ={})
        texts.append(str(caught.value))
    joined = "\n".join(texts)
    for secret in ("hunter2-secret", "s3cr3t-value", "k3y-value", "t0k3n-value"):
        assert secret not in joined
