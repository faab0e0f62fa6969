"""Random and hostile YAML through `seamwatch check` (issue 9, "Done when"): it always ends with
exit 0 (and `FILE: ok`) or exit 2 with every line of stderr shaped `FILE:LINE:COL: message` (or
`FILE: message` for a problem about the whole file, seamwatch/config/errors.py), never a
traceback, and never the loader's safety net ("unexpected error ... please report this as a
bug"), which would mean seamwatch itself broke on the input.

Two generators: YAML-ish text built from YAML's own tokens, and structured configs (a valid
skeleton with random keys and values set, added or removed at random places) dumped as YAML.
The command line runs in-process (`seamwatch.cli.main`) to keep a few hundred examples fast."""

from __future__ import annotations

import copy
import io
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from tests.support.inprocess import run_main

# Derandomized, so CI runs the same examples every time; no `explain` phase (it traces every
# line, which makes a failing run take minutes).
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# A config that `check` accepts: every section and every kind that loading never executes
# (a `python` probe's check imports the module it names, so random names are kept away from it).
SKELETON: dict[str, Any] = {
    "version": 1,
    "storage": {"url": "sqlite:///fuzz.db", "raw_retention": "30d"},
    "runner": {"location": "fuzz", "concurrency": 4, "listen": "127.0.0.1:0",
               "state_dir": "state"},
    "defaults": {"interval": "30s", "timeout": "5s", "retries": 1,
                 "alerts": {"failure_threshold": 2, "degraded_latency": "2s"}},
    "email": {
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "starttls",
                 "username": "mailer", "password": "pw-fuzz-123", "timeout": "5s"},
        "from": "seamwatch <alerts@example.test>", "to": ["oncall@example.test"],
        "group_wait": "10s",
    },
    "maintenance": [{"name": "nightly", "cron": "0 2 * * *", "duration": "30m",
                     "integrations": ["shop"]}],
    "integrations": [
        {
            "name": "shop", "description": "fuzzed", "tags": ["a", "b"],
            "base_url": "http://127.0.0.1:9", "headers": {"X-Api-Key": "k3y-fuzz-0001"},
            "auth": {"type": "oauth2_client_credentials",
                     "token_url": "http://127.0.0.1:9/oauth/token", "client_id": "cid",
                     "client_secret": "cs-fuzz-0002", "scope": "read"},
            "alerts": {"to": ["shop@example.test"]},
            "probes": [
                {"name": "list", "interval": "1m", "steps": [
                    {"name": "get", "method": "GET", "path": "/items", "params": {"limit": 1},
                     "expect": {"status": [200, 204], "latency_under": "800ms",
                                "json": {"$.data": {"type": "array"},
                                         "$.data[0].id": {"matches": "^it_"}}},
                     "save": {"first": "$.data[0].id"}},
                    {"name": "one", "path": "/items/{{ first }}", "always_run": True,
                     "expect": {"status": "2xx", "json": {"$.id": {"equals": "{{ first }}"}}}},
                ]},
                {"name": "port", "type": "tcp", "host": "127.0.0.1", "port": 9},
                {"name": "cert", "type": "tls", "host": "127.0.0.1",
                 "expect": {"cert_valid_days_over": 14}},
                {"name": "names", "type": "dns", "host": "localhost", "record_type": "A",
                 "resolver": "127.0.0.1:53", "expect": {"contains": ["127.0.0.1"]}},
                {"name": "beat", "type": "heartbeat", "period": "5m", "grace": "1m",
                 "secret": "hb-fuzz-0003"},
            ],
        },
        {"name": "crm", "base_url": "https://crm.example.test",
         "auth": {"type": "oauth2_refresh_token", "token_url": "https://crm.example.test/t",
                  "client_id": "crm", "refresh_token": "rt-fuzz-0004"},
         "probes": [{"name": "me", "steps": [{"name": "me", "path": "/me"}]}]},
    ],
}

KEYS = sorted({
    "name", "type", "steps", "probes", "integrations", "expect", "status", "json", "path",
    "method", "url", "base_url", "auth", "token", "headers", "params", "body", "form", "save",
    "interval", "timeout", "retries", "alerts", "email", "smtp", "security", "username",
    "password", "allow_plaintext_auth", "ca_file", "schema", "storage", "runner", "listen",
    "maintenance", "cron", "duration", "period", "grace", "secret", "host", "port", "record_type",
    "resolver", "contains", "max_body", "follow_redirects", "to", "from", "tags", "version",
    "failure_threshold", "recovery_threshold", "degraded_latency", "state_file", "client_id",
    "client_secret", "refresh_token", "token_url", "$.data", "always_run", "latency_under",
    "raw_retention", "timezone", "location", "concurrency", "state_dir", "defaults",
})
WORDS = [
    "", " ", "0", "-1", "1e999", "0x1F", "07", "1_000", "30s", "-5s", "0s", "1 minute", "1h30m",
    "2xx", "9xx", "200", "GET", "BREW", "none", "ssl", "starttls", "tcp", "tls", "dns", "http",
    "auth", "heartbeat", "oauth2_refresh_token", "basic", "api_key", "bearer",
    "http://127.0.0.1:9", "https://[::1", "ftp://x", "sqlite://", "sqlite:///:memory:",
    "postgresql+psycopg://u:p@127.0.0.1:1/x", "${UNSET_FUZZ_VAR}", "${UNSET:-fallback}",
    "${", "$${x}", "{{ first }}", "{{", "{% for %}", "$..[?(@", "$.a[", "^(", "[", "a" * 300,
    "../../etc/passwd", "/dev/null", "\x00", "nul\x00byte", "\u202e", "é", "🩺", "\\", "'", '"',
    "127.0.0.1:99999", "[::1]:0", "* * * * *", "61 25 * * *", "Mars/Olympus", "a@b", "<x@y>",
]

scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=False, allow_infinity=True)
           | st.sampled_from(WORDS) | st.text(max_size=12))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(min_size=1, max_size=8), inner,
                      max_size=3),
    max_leaves=8,
)


def _containers(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every mapping and list in `node`."""
    found: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        found.append(path)
        for key, value in node.items():
            found += _containers(value, (*path, key))
    elif isinstance(node, list):
        found.append(path)
        for index, value in enumerate(node):
            found += _containers(value, (*path, index))
    return found


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        node = node[part]
    return node


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """The skeleton with one to five random edits: set or add a key, drop one, replace a list
    item, or replace the whole value at a random place."""
    config: Any = copy.deepcopy(SKELETON)
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(_containers(config)))
        node = _at(config, path)
        action = draw(st.sampled_from(["set", "drop", "replace"]))
        if action == "replace" and path:
            _at(config, path[:-1])[path[-1]] = draw(values)
        elif isinstance(node, dict):
            if action == "drop" and node:
                del node[draw(st.sampled_from(sorted(node, key=str)))]
            else:
                key = draw(st.sampled_from(sorted(node, key=str)) if node and draw(st.booleans())
                           else st.sampled_from(KEYS) | st.text(min_size=1, max_size=8)
                           | st.integers(-5, 5))
                node[key] = draw(values)
        elif isinstance(node, list):
            if action == "drop" and node:
                node.pop(draw(st.integers(0, len(node) - 1)))
            elif node and draw(st.booleans()):
                node[draw(st.integers(0, len(node) - 1))] = draw(values)
            else:
                node.append(draw(values))
    return config


def _dump(config: Any, flow: bool) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    yaml.allow_unicode = True
    out = io.StringIO()
    yaml.dump(config, out)
    return out.getvalue()


TOKENS = [
    "integrations:", "\n", "\n", "\n", "  ", "  ", "    ", "- ", "name: ", "probes:", "steps:",
    "path: /x", "type: ", "tcp", "tls", "dns", "heartbeat", "auth:", "email:", "smtp:",
    "storage:", "url: ", "security: none", "username: u", "{", "}", "[", "]", ", ", ": ", ":",
    "? ", "&a ", "*a", "<<: *a", "!!str ", "!!int ", "!!binary ", "!!python/object:os.system ",
    "!custom ", "|", "|-", ">", "# c", "'", "''", '"', '"\\x', "\\u12", "${X}", "${", "---",
    "...", "%YAML 1.2\n", "%TAG ! tag:x:\n", "\t", "~", "null", "true", "1e9999", "-.inf",
    ".nan", "0o17", "2001-12-14t21:59:43.10-05:00", "é", "\u2028", "\ufeff", "\x00", "\x85",
    "@", "`", "%", "base_url: http://127.0.0.1:9", "- {name: a, steps: [{name: s, path: /}]}",
]
yaml_text = st.lists(st.sampled_from(TOKENS) | st.text(max_size=6), max_size=40).map("".join)


def _check(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seamwatch.yaml"
        path.write_text(text, encoding="utf-8")
        outcome = run_main(["check", "-c", str(path)])
    assert outcome.code in (0, 2), outcome
    assert "Traceback" not in outcome.stderr + outcome.stdout
    if outcome.code == 0:
        assert outcome.stdout.startswith(f"{path}: ok\n"), outcome
        return
    lines = outcome.stderr.splitlines()
    assert lines, outcome
    shape = re.compile(rf"^{re.escape(str(path))}(?::[1-9]\d*:[1-9]\d*)?: \S.*$")
    for line in lines:
        assert shape.match(line), (line, text)
        assert "unexpected error" not in line, (line, text)


def test_the_skeleton_is_valid() -> None:
    _check(_dump(SKELETON, flow=False))


def _laughs(levels: int) -> str:
    """Each anchor a list of nine aliases to the one before: 9**levels values once expanded."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join(lines) + f"\nintegrations: *l{levels - 1}\n"


PROBE = ("[{name: a, base_url: 'http://127.0.0.1:9', "
         "probes: [{name: p, steps: [{name: s, path: /}]}]}]")
HOSTILE = {
    "deep flow lists": "integrations: " + "[" * 1000 + "]" * 1000 + "\n",
    "deep flow mappings": "integrations: " + "{a: " * 100 + "1" + "}" * 100 + "\n",
    "deep block mappings": "".join("  " * n + "a:\n" for n in range(1500)),
    "billion laughs": _laughs(9),
    "an alias inside its own target": "a: &a [*a]\nintegrations: *a\n",
    "an integer of 5000 digits": f"runner: {{concurrency: {'9' * 5000}}}\nintegrations: {PROBE}\n",
    "an ordered map": "integrations: !!omap [{a: 1}]\n",
    "an unclosed IPv6 address": PROBE.replace("127.0.0.1:9", "[::1") + "\n",
    "a control character": "integrations: []\x1f\n",
    "a line break in a key": f'"bad\\nkey": 1\nintegrations: {PROBE}\n',
    "several documents": "integrations: []\n---\nx: 1\n",
    "python tags": "integrations: !!python/object/apply:os.system [echo]\n",
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_yaml(text: str) -> None:
    _check(text)


@SETTINGS
@given(yaml_text)
def test_random_yaml_text(text: str) -> None:
    _check(text)


@SETTINGS
@given(mutated_configs(), st.booleans())
def test_random_edits_of_a_valid_config(config: Any, flow: bool) -> None:
    _check(_dump(config, flow))
