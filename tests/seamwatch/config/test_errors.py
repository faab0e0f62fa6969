"""Problems outside the corpus: unreadable files, unexpected failures, secrets in messages, and a
table of smaller cases checked on generated files."""

from __future__ import annotations

from pathlib import Path

import pytest

import seamwatch.config.load as config_load
from seamwatch.config import ConfigError, ConfigProblem, load_config
from seamwatch.config.model import parse_listen
from tests.seamwatch.conftest import WriteConfig


def _problems(path: Path, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=environ or {})
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == f"{path}: config file not found"
    assert caught.value.problems == [ConfigProblem(str(path), 0, 0, "", "config file not found")]


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a config file"):
        load_config(tmp_path, environ={})


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "seamwatch.yaml"
    path.write_bytes(b"integrations: \xff\xfe\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value).startswith(f"{path}: is not UTF-8 text")


def test_unexpected_exception_becomes_a_config_error(
    write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> list[object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(config_load, "run_checks", broken)
    path = write_config("integrations: [{name: a}]\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == (
        f"{path}: unexpected error while loading the config (RuntimeError); "
        "please report this as a bug"
    )
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_secret_input_is_never_echoed(write_config: WriteConfig) -> None:
    path = write_config("""\
        integrations:
          - name: shop
            base_url: https://shop.example
            auth: {type: basic, username: probe, password: [pw-in-a-list-1234]}
            headers: {Authorization: 12345678, X-Cost: 5}
            probes:
              - name: p
                retries: "${SECRET_TOKEN}"
                steps: [{name: get, path: /}]
    """)
    problems = _problems(path, {"SECRET_TOKEN": "tok-zz-9876"})
    joined = "\n".join(problems)
    assert "pw-in-a-list-1234" not in joined and "12345678" not in joined
    assert problems == [
        "4:52: integrations[shop].auth.password: expected a string, got a list",
        "5:30: integrations[shop].headers.Authorization: expected a string, got a number",
        "5:48: integrations[shop].headers.X-Cost: expected a string, got a number",
        # every `${…}` value is a secret, even where a number was expected
        "8:18: integrations[shop].probes[p].retries: expected a whole number, got '***'",
    ]


@pytest.mark.parametrize(
    ("yaml", "expected"),
    [
        (
            "integrations:\n",
            ["1:1: integrations: no integrations defined; add at least one under `integrations:`"],
        ),
        (
            "version: 2\nintegrations: [{name: a, auth: {type: bearer, token: t}}]\n",
            ["1:10: version: expected one of 1, got 2"],
        ),
        (
            "integrations:\n  - name: a\n    auth: {token: t}\n",
            ["3:5: integrations[a].auth: missing required key `type` (one of none, api_key, "
             "basic, bearer, oauth2_client_credentials, oauth2_refresh_token)"],
        ),
        (
            "integrations:\n  - name: a\n",
            ["2:5: integrations[a]: an integration needs at least one probe or an `auth` block"],
        ),
        (
            "integrations:\n  - name: a\n    base_url: https://a.example\n    probes:\n"
            "      - {name: p, steps: [{name: s, path: /, params: {q: null}}]}\n",
            ["5:55: integrations[a].probes[p].steps[s].params.q: expected a string, a whole "
             "number, a number or true or false, got nothing (null)"],
        ),
        (
            "integrations:\n  - name: a\n    probes:\n      - {name: p, steps: [{name: s}]}\n",
            ["4:27: integrations[a].probes[p].steps[s]: set exactly one of `path` (joined to "
             "base_url) or `url`"],
        ),
        (
            "integrations:\n  - name: a\n    base_url: https://a.example\n    probes:\n"
            "      - {name: p, steps: [{name: s, path: /, expect: {json: {$.n: {gt: x}}}}]}\n",
            ["5:72: integrations[a].probes[p].steps[s].expect.json[\"$.n\"].gt: expected a "
             "number, got 'x'"],
        ),
        (
            "maintenance:\n  - {name: m, cron: '* * * * *', duration: 1h, timezone: Mars/Base}\n"
            "integrations: [{name: a, auth: {type: bearer, token: t}}]\n",
            ["2:58: maintenance[m].timezone: unknown time zone 'Mars/Base'"],
        ),
        (
            "integrations:\n  - name: a\n    ca_file: certs/none.pem\n"
            "    auth: {type: bearer, token: t}\n",
            ["3:14: integrations[a].ca_file: CA file certs/none.pem not found"],
        ),
    ],
)
def test_small_cases(write_config: WriteConfig, yaml: str, expected: list[str]) -> None:
    problems = _problems(write_config(yaml))
    assert len(problems) == len(expected), problems
    for got, want in zip(problems, expected, strict=True):
        assert got.startswith(want), problems


def test_problems_are_sorted_by_line(write_config: WriteConfig) -> None:
    path = write_config("""\
        runner: {concurrency: 0}
        integrations:
          - name: b
            base_url: ftp://b.example
            auth: {type: bearer, token: t}
          - name: b
            auth: {type: bearer, token: t}
        maintenance:
          - {name: m, cron: nope, duration: 1h}
    """)
    lines = [int(p.split(":")[0]) for p in _problems(path)]
    assert lines == sorted(lines) and lines == [1, 4, 6, 9]  # one problem per place


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:9465", ("127.0.0.1", 9465)), ("[::1]:0", ("::1", 0)),
     ("localhost:80", ("localhost", 80))],
)
def test_parse_listen_accepts(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["localhost", ":80", "host:", "host:99999", "a b:1", "::1:80"])
def test_parse_listen_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"host:port|outside"):
        parse_listen(text)
