"""Routing: which channels get which notice (Alertmanager-style: first match wins unless
`continue: true`; a route without `match` is the default; no routes: every channel)."""

from __future__ import annotations

from typing import Any

import pytest

from alerts.routing import Alerting, RouteMatch, RouteSpec
from tests.alerts.channels.conftest import channel

SMTP = {"host": "127.0.0.1", "port": 25, "security": "none"}
CHANNELS = {
    name: channel({"type": "email", "smtp": SMTP, "from": "a@example.test", "to": [f"{name}@x.io"]})
    for name in ("oncall", "chat", "audit", "billing")
}
ROUTES: list[dict[str, Any]] = [
    {"match": {"tags": ["payments"], "kinds": ["firing", "reminder"]},
     "channels": ["oncall", "chat"]},
    {"match": {"integrations": ["ledger"]}, "channels": ["billing"], "continue": True},
    {"match": {"kinds": ["resolved"]}, "channels": ["chat"], "continue": True},
    {"channels": ["audit"]},
]
TAGS = {"shop": ["payments", "prod"], "ledger": ["finance"], "search": []}


@pytest.mark.parametrize(("integration", "kind", "expected"), [
    ("shop", "firing", ["oncall", "chat"]),        # first route matches and stops
    ("shop", "reminder", ["oncall", "chat"]),
    ("shop", "resolved", ["chat", "audit"]),        # first route's kinds do not fit
    ("shop", "degraded", ["audit"]),
    ("ledger", "firing", ["billing", "audit"]),     # continue: falls through to the default
    ("ledger", "resolved", ["billing", "chat", "audit"]),
    ("search", "firing", ["audit"]),
    ("search", "resolved", ["chat", "audit"]),
])
def test_routes(integration: str, kind: str, expected: list[str]) -> None:
    alerting = Alerting(channels=CHANNELS, routes=[RouteSpec.model_validate(r) for r in ROUTES])
    assert alerting.route(integration, TAGS[integration], kind) == expected


def test_without_routes_every_channel_gets_every_notice() -> None:
    assert Alerting(channels=CHANNELS).route("search", [], "degraded") == list(CHANNELS)


def test_no_route_matches_means_no_channel() -> None:
    routes = [RouteSpec.model_validate({"match": {"tags": ["x"]}, "channels": ["chat"]})]
    assert Alerting(channels=CHANNELS, routes=routes).route("shop", ["payments"], "firing") == []


def test_a_channel_named_twice_gets_the_notice_once() -> None:
    routes = [RouteSpec.model_validate(r) for r in (
        {"channels": ["chat", "oncall"], "continue": True}, {"channels": ["oncall"]})]
    assert Alerting(channels=CHANNELS, routes=routes).route("shop", [], "firing") == [
        "chat", "oncall"]


def test_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown notice kind `burning`.*firing, resolved"):
        RouteMatch.model_validate({"kinds": ["burning"]})
