"""`channels:`, `routes:` and `notifications:` in the config file: the new form loads, its
mistakes are reported at their line, the old `email:` keeps working and `check` says how to
migrate, and channel secrets (webhook secret, Apprise URLs) are secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from seamwatch.config import ConfigError, load_config
from tests.seamwatch.conftest import WriteConfig
from tests.support.cli import run_cli
from tests.support.receiver import SECRET

INTEGRATIONS = """
integrations:
  - name: payments
    tags: [billing]
    base_url: http://127.0.0.1:9
    probes: [{name: list, steps: [{name: get, path: /}]}]
"""
CHANNELS = """
notifications: {dashboard_url: "http://dash.test:8501", group_wait: 10s}
channels:
  oncall-mail:
    type: email
    smtp: {host: 127.0.0.1, port: 2525, security: none}
    from: seamwatch@example.test
    to: [oncall@example.test]
  team-chat: {type: apprise, urls: ["ntfy://127.0.0.1:8080/Team-Topic-Canary-7731"]}
  automation:
    type: webhook
    url: http://127.0.0.1:9999/seamwatch
    secret: SECRET
    group_wait: 0s
""".replace("SECRET", SECRET)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    return [f"{p.line}:{p.col}: {p.path}: {p.message}" for p in caught.value.problems]


def test_channels_and_routes_load(write_config: WriteConfig) -> None:
    config = load_config(write_config(CHANNELS + """
routes:
  - {match: {tags: [billing], kinds: [firing, reminder]}, channels: [oncall-mail, team-chat]}
  - {match: {integrations: [payments]}, channels: [automation], continue: true}
  - {channels: [oncall-mail]}
""" + INTEGRATIONS), environ={})
    alerting = config.alerting
    assert list(alerting.channels) == ["oncall-mail", "team-chat", "automation"]
    assert alerting.notify.dashboard_url == "http://dash.test:8501"
    assert alerting.group_wait("oncall-mail") == 10 and alerting.group_wait("automation") == 0
    assert alerting.route("payments", ["billing"], "firing") == ["oncall-mail", "team-chat"]
    assert alerting.route("payments", ["billing"], "resolved") == ["automation", "oncall-mail"]
    assert SECRET in config.secrets
    assert {"ntfy://127.0.0.1:8080/Team-Topic-Canary-7731", "Team-Topic-Canary-7731"} <= (
        config.secrets)
    assert "Canary-7731" not in repr(config)


def test_unknown_channel_in_a_route_is_reported_at_its_line(write_config: WriteConfig) -> None:
    path = write_config(CHANNELS + """
routes:
  - channels: [oncall-mail,
               team-chat-typo]
""" + INTEGRATIONS)
    assert _problems(path) == [
        "18:16: routes[0].channels[1]: no channel named `team-chat-typo` (defined: "
        "oncall-mail, team-chat, automation)",
    ]


@pytest.mark.parametrize(("snippet", "expected"), [
    ("routes: [{channels: [mail]}]\n",
     ["1:22: routes[0].channels[0]: no channel named `mail` (none under `channels:`)"]),
    ("routes: [{match: {kinds: [burning]}, channels: [x]}]\n"
     f"channels: {{x: {{type: webhook, url: 'http://127.0.0.1:1/', secret: {SECRET}}}}}\n",
     ["1:26: routes[0].match.kinds: unknown notice kind `burning` (expected one of firing, "
      "resolved, degraded, reminder, burn_rate, burn_rate_ticket, burn_resolved, quota, "
      "expiring, expiry_resolved)"]),
    ("routes: [{match: {integrations: [payment]}, channels: [x]}]\n"
     f"channels: {{x: {{type: webhook, url: 'http://127.0.0.1:1/', secret: {SECRET}}}}}\n",
     ["1:34: routes[0].match.integrations[0]: no integration named `payment`"]),
    (f"channels: {{x: {{type: webhook, url: 'ftp://127.0.0.1/', secret: {SECRET}}}}}\n",
     ["1:36: channels.x.url: expected an http:// or https:// URL with a host"]),
    ("channels: {x: {type: pager}}\n",
     ["1:22: channels.x.type: unknown channel type `pager`; expected one of email, webhook, "
      "apprise"]),
])
def test_channel_and_route_mistakes(
    write_config: WriteConfig, snippet: str, expected: list[str]
) -> None:
    assert _problems(write_config(snippet + INTEGRATIONS)) == expected


def test_a_bad_webhook_secret_is_explained_and_not_echoed(write_config: WriteConfig) -> None:
    path = write_config(
        "channels: {x: {type: webhook, url: 'http://127.0.0.1:1/', secret: not-base64-Canary!}}\n"
        + INTEGRATIONS)
    [problem] = _problems(path)
    assert problem.startswith("1:67: channels.x.secret: expected a Standard Webhooks secret")
    assert "Canary" not in problem


def test_an_unusable_apprise_url_names_only_its_scheme(write_config: WriteConfig) -> None:
    path = write_config("channels: {x: {type: apprise, urls: ['slack://Canary-Tok']}}\n"
                        + INTEGRATIONS)
    [problem] = _problems(path)
    assert "Apprise does not accept this slack:// URL" in problem
    assert "Canary" not in problem


def test_old_email_block_cannot_be_mixed_with_channels(write_config: WriteConfig) -> None:
    path = write_config("""
email: {smtp: {host: 127.0.0.1, security: none}, from: a@example.test, to: [b@example.test]}
channels: {x: {type: webhook, url: 'http://127.0.0.1:1/', secret: SECRET}}
""".replace("SECRET", SECRET) + INTEGRATIONS)
    assert _problems(path) == [
        "2:8: email: `email:` (the old form) cannot be combined with `channels:`; move it into "
        "`channels:` as a channel of type email (and its shared settings into "
        "`notifications:`)",
    ]


def test_old_email_block_still_works_and_check_says_how_to_migrate(
    write_config: WriteConfig,
) -> None:
    path = write_config("""
email: {smtp: {host: 127.0.0.1, security: none}, from: a@example.test, to: [b@example.test],
        group_wait: 5s}
""" + INTEGRATIONS)
    config = load_config(path, environ={})
    assert list(config.alerting.channels) == ["email"]
    assert config.alerting.group_wait("email") == 5
    done = run_cli(["check", "-c", str(path)])
    assert done.returncode == 0, done.stderr
    assert "note: `email:` is the old form" in done.stdout
    assert "email: {type: email, smtp: {...}, from: ..., to: [...]}" in done.stdout
    new = run_cli(["check", "-c", str(write_config(CHANNELS + INTEGRATIONS))])
    assert new.returncode == 0 and "old form" not in new.stdout
