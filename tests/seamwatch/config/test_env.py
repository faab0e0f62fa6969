"""`${VAR}` forms, `$$`, the `.env` file beside the config, and which values count as secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from probes.kinds.tcp import TcpProbe
from seamwatch.config import ConfigError, load_config, summarize
from seamwatch.config.env import parse_dotenv, substitute
from tests.seamwatch.conftest import WriteConfig

ENV = {"HOST": "api.example", "EMPTY": "", "PORT": "8443"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${HOST}", "api.example"),
        ("https://${HOST}:${PORT}/v1", "https://api.example:8443/v1"),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${HOST:-fallback}", "api.example"),
        ("${MISSING:-}", ""),
        ("price $$5", "price $5"),
        ("$${HOST}", "${HOST}"),
        ("$.data[0].id", "$.data[0].id"),
        ("^ch_$", "^ch_$"),
        ("${HOST:?needed}", "api.example"),
    ],
)
def test_substitution_forms(text: str, expected: str) -> None:
    result = substitute({"value": text}, ENV)
    assert result.problems == []
    assert result.data == {"value": expected}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING}", "environment variable MISSING is not set"),
        ("${MISSING:?set MISSING to the token}", "set MISSING to the token"),
        ("${EMPTY:?must not be empty}", "must not be empty"),
        ("${MISSING:?}", "environment variable MISSING is not set"),
        ("${1BAD}", "invalid variable reference `${1BAD}`; use ${NAME}, ${NAME:-default} or "
                    "${NAME:?message}"),
        ("${HOST", "unclosed `${`; write `${NAME}`, or `$$` for a literal `$`"),
    ],
)
def test_substitution_problems(text: str, message: str) -> None:
    result = substitute({"a": [{"b": text}]}, ENV)
    assert result.problems == [(("a", 0, "b"), message)]


def test_keys_and_non_strings_are_never_substituted() -> None:
    data = {"${HOST}": {"n": 5, "flag": True, "none": None, "list": ["${PORT}"]}}
    result = substitute(data, ENV)
    assert result.data == {"${HOST}": {"n": 5, "flag": True, "none": None, "list": ["8443"]}}
    assert result.substituted == {("${HOST}", "list", 0)}


def test_parse_dotenv_forms() -> None:
    text = (
        "# comment\n\nPLAIN=value\nexport EXPORTED=yes\nSPACED = padded  \n"
        "DOUBLE=\"a # not a comment\"\nSINGLE='it''s'\nINLINE=v # comment\nEMPTY=\n"
        "this line is wrong\n"
    )
    values, problems = parse_dotenv(text, ".env")
    assert values == {
        "PLAIN": "value", "EXPORTED": "yes", "SPACED": "padded", "DOUBLE": "a # not a comment",
        "SINGLE": "it''s", "INLINE": "v", "EMPTY": "",
    }
    assert [str(p) for p in problems] == [".env:10:1: expected KEY=VALUE"]


TCP_CONFIG = """\
    integrations:
      - name: db
        headers: {X-Api-Key: plain-header-key, X-Trace: "${TRACE_ID}", Accept: json}
        probes:
          - {name: port, type: tcp, host: "${DB_HOST}", port: "${DB_PORT}"}
"""


def test_dotenv_beside_config_is_used_and_environment_wins(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config(TCP_CONFIG)
    (tmp_path / ".env").write_text(
        "DB_HOST=from-dotenv.example\nexport DB_PORT='5432'\nTRACE_ID=trace-from-dotenv\n"
    )
    config = load_config(path, environ={"DB_HOST": "from-env.example"})
    probe = config.entry("db/port").probe
    assert isinstance(probe, TcpProbe)
    assert (probe.host, probe.port) == ("from-env.example", 5432)  # "5432" validated as int


def test_header_secrets_from_name_or_substitution(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config(TCP_CONFIG)
    env = {"DB_HOST": "db.example", "DB_PORT": "5432", "TRACE_ID": "trace-secret-42"}
    config = load_config(path, environ=env)
    assert {"plain-header-key", "trace-secret-42"} <= config.secrets
    assert "json" not in config.secrets
    assert "db.example" not in config.secrets  # substituted, but not a header or credential
    assert "trace-secret-42" not in repr(config) + summarize(config)


def test_storage_and_smtp_passwords_are_secrets(write_config: WriteConfig) -> None:
    path = write_config("""\
        storage: {url: "postgresql+psycopg://sw:pg%40pass-9@db.example/sw"}
        email:
          smtp: {host: smtp.example, password: smtp-pass-9}
          from: alerts@example.com
        integrations:
          - name: shop
            base_url: https://shop.example
            auth: {type: oauth2_refresh_token, token_url: "https://shop.example/token",
                   client_id: cid, refresh_token: rt-secret-1}
    """)
    config = load_config(path, environ={})
    assert {"pg@pass-9", "smtp-pass-9", "rt-secret-1"} <= config.secrets
    assert "cid" not in config.secrets
    text = repr(config)
    assert "pg%40pass-9" not in text and "pg@pass-9" not in text


def test_missing_variable_is_reported_once_at_its_value(write_config: WriteConfig) -> None:
    path = write_config("""\
        integrations:
          - name: db
            probes:
              - {name: port, type: tcp, host: db.example, port: "${DB_PORT}"}
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4:57: integrations[db].probes[port].port: "
        "environment variable DB_PORT is not set"
    ]


def test_malformed_dotenv_is_a_problem_in_that_file(
    write_config: WriteConfig, tmp_path: Path
) -> None:
    path = write_config(TCP_CONFIG)
    (tmp_path / ".env").write_text("DB_HOST=x\nnot an assignment\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"DB_PORT": "1", "TRACE_ID": "t"})
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / '.env'}:2:1: expected KEY=VALUE"
    ]


PAYLOAD_CONFIG = """\
    storage: {url: "postgresql+psycopg://sw:${PG_PW}@${PG_HOST}:5432/sw"}
    runner: {listen: "127.0.0.1:${LISTEN_PORT}"}
    email:
      smtp: {host: "${SMTP_HOST}", port: "${SMTP_PORT}"}
      from: alerts@example.com
      dashboard_url: "http://${DASH_HOST}:${DASH_PORT}/"
    integrations:
      - name: shop
        base_url: "https://${API_HOST}/v1/${PATH_TOKEN}"
        interval: "${INTERVAL}"
        probes:
          - name: flow
            steps:
              - {name: a, method: POST, path: /x, json: {k: "${JSON_V}", n: ["${JSON_LIST}"]}}
              - {name: b, method: POST, path: /x, form: {k: "${FORM_V}"}}
              - {name: c, method: POST, path: /x, body: "prefix ${BODY_V} suffix"}
              - {name: d, path: /x, params: {k: "${PARAM_V}"}}
              - {name: e, url: "https://${URL_USER}:${URL_PW}@other.example/x"}
              - {name: f, url: "https://user:literal-url-pw@third.example/x"}
"""
PAYLOAD_SECRETS = {
    "PG_PW": "pg-pw-canary-1", "PATH_TOKEN": "path-token-canary-2", "JSON_V": "json-canary-3",
    "JSON_LIST": "json-list-canary-4", "FORM_V": "form-canary-5", "BODY_V": "body-canary-6",
    "PARAM_V": "param-canary-7", "URL_USER": "url-user-canary-8", "URL_PW": "url-pw-canary-9",
}
PLACES = {
    "PG_HOST": "pg.example", "LISTEN_PORT": "9465", "SMTP_HOST": "smtp.example",
    "SMTP_PORT": "2525", "DASH_HOST": "dash.example", "DASH_PORT": "8501",
    "API_HOST": "api.example", "INTERVAL": "150s",
}


def test_every_substituted_value_is_a_secret_but_places_and_numbers(
    write_config: WriteConfig,
) -> None:
    """Whatever part of the config a `${…}` value fills (body, json, form, params, URL userinfo
    and path, storage.url) it is a secret; a URL's host and port, `host`/`listen` and values the
    model reads as numbers or durations are not (masking them would break links and logs)."""
    config = load_config(write_config(PAYLOAD_CONFIG), environ={**PAYLOAD_SECRETS, **PLACES})
    assert set(PAYLOAD_SECRETS.values()) <= config.secrets
    assert "literal-url-pw" in config.secrets  # a literal password in URL userinfo
    assert not set(PLACES.values()) & config.secrets
    assert not any(place in secret for secret in config.secrets for place in PLACES.values())
    text = repr(config) + summarize(config)
    assert not any(secret in text for secret in PAYLOAD_SECRETS.values())


def test_substituted_values_are_secrets_in_config_errors_too(write_config: WriteConfig) -> None:
    """A config with a problem is reported with every `${…}` value masked (no model to say what
    is a number, so every inserted value counts)."""
    path = write_config("""\
        integrations:
          - name: shop
            base_url: https://shop.example
            probes:
              - name: flow
                retries: "${BODY_V}"
                steps: [{name: a, method: POST, path: /x, body: "${BODY_V}"}]
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"BODY_V": "body-canary-in-error"})
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "retries" in text and "body-canary-in-error" not in text


def test_substitution_records_where_each_value_landed() -> None:
    result = substitute({"a": "x${HOST}y$${PORT}z${PORT}"}, ENV)
    assert result.data == {"a": "xapi.exampley${PORT}z8443"}
    value = result.data["a"]
    assert [value[s:e] for s, e in result.inserted[("a",)]] == ["api.example", "8443"]


def test_a_long_secret_in_a_config_error_is_not_cut_in_half(write_config: WriteConfig) -> None:
    """A value too long to show whole is described, not cut: a cut would leave a secret's
    first part, which redaction no longer recognises."""
    secret = "long-secret-" + "x7" * 40
    path = write_config("""\
        integrations:
          - name: shop
            base_url: https://shop.example
            retries: "${LONG}"
            probes: [{name: flow, steps: [{name: a, path: /x}]}]
    """)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={"LONG": secret})
    text = "\n".join(str(p) for p in caught.value.problems)
    assert "retries" in text and secret[:12] not in text
