"""The registry is the one list of probe kinds: the config union, PROBE_KINDS, the JSON Schema and
the dispatch must all agree with it (probes/registry.py)."""

from __future__ import annotations

import inspect
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import ValidationError

from probes.kinds.base import ProbeCommon, ProbeKind
from probes.registry import DEFAULT_KIND, KINDS, PROBE_KINDS, kind_named, kind_of
from probes.spec import IntegrationSpec

# The least a probe of each kind needs besides `name` and `type`: a new kind adds its row.
MINIMAL: dict[str, dict[str, Any]] = {
    "http": {"steps": [{"name": "get", "url": "https://shop.test/health"}]},
    "tls": {"host": "shop.test"},
    "tcp": {"host": "shop.test", "port": 443},
    "dns": {"host": "shop.test"},
    "heartbeat": {"period": "1m"},
    "webhook": {"steps": [{"name": "pay", "method": "POST", "url": "https://shop.test/pay"}]},
    "python": {"callable": "checks.shop:probe"},
    "amqp": {"url": "amqp://127.0.0.1:5672/"},
    "redis": {"url": "redis://127.0.0.1:6379"},
    "nats": {"url": "nats://127.0.0.1:4222"},
    "mqtt": {"url": "mqtt://127.0.0.1:1883"},
    "postgres": {"host": "db.test"},
    "mysql": {"host": "db.test"},
    "auth": {},
}


def _integration(*probes: dict[str, Any]) -> IntegrationSpec:
    return IntegrationSpec.model_validate({"name": "shop", "probes": list(probes)})


def test_every_registered_kind_has_a_row_here_and_one_name_and_model() -> None:
    assert [kind.name for kind in KINDS] == list(MINIMAL)
    assert len({kind.model for kind in KINDS}) == len(KINDS)


def test_probe_kinds_are_the_user_writable_kinds_in_registry_order() -> None:
    assert list(PROBE_KINDS) == [kind.name for kind in KINDS if kind.user_writable]
    assert PROBE_KINDS == ("http", "tls", "tcp", "dns", "heartbeat", "webhook", "python",
                           "amqp", "redis", "nats", "mqtt", "postgres", "mysql")
    assert "auth" not in PROBE_KINDS and DEFAULT_KIND in PROBE_KINDS


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_each_kind_is_dispatchable(kind: ProbeKind[Any]) -> None:
    annotation = kind.model.model_fields["type"].annotation
    assert get_origin(annotation) is Literal and get_args(annotation) == (kind.name,)
    assert inspect.iscoroutinefunction(kind.attempt)
    probe = kind.model.model_validate({"name": "p", "type": kind.name, **MINIMAL[kind.name]})
    assert kind_of(probe) is kind
    assert kind_named(kind.name) is kind


@pytest.mark.parametrize("name", PROBE_KINDS)
def test_each_user_kind_validates_in_the_config_union(name: str) -> None:
    probe = _integration({"name": "p", "type": name, **MINIMAL[name]}).probes[0]
    assert kind_of(probe).name == name == probe.type


def test_a_probe_without_type_is_the_default_kind() -> None:
    probe = _integration({"name": "p", **MINIMAL[DEFAULT_KIND]}).probes[0]
    assert kind_of(probe).name == DEFAULT_KIND


def test_auth_is_dispatched_but_not_user_writable() -> None:
    auth = kind_named("auth")
    assert auth is not None and not auth.user_writable
    with pytest.raises(ValidationError) as caught:
        _integration({"name": "p", "type": "auth"})
    assert [e["type"] for e in caught.value.errors()] == ["union_tag_invalid"]


def test_the_json_schema_lists_exactly_the_user_kinds() -> None:
    schema = IntegrationSpec.model_json_schema(by_alias=True, mode="validation")
    members = schema["properties"]["probes"]["items"]["oneOf"]
    defs = schema["$defs"]
    kinds = [defs[m["$ref"].rsplit("/", 1)[-1]]["properties"]["type"]["const"] for m in members]
    assert kinds == list(PROBE_KINDS)


def test_unregistered_models_are_not_dispatched() -> None:
    class Unregistered(ProbeCommon):
        type: Literal["unregistered"] = "unregistered"

    with pytest.raises(TypeError, match="no runner for probe kind Unregistered"):
        kind_of(Unregistered(name="p"))
    assert kind_named("unregistered") is None and kind_named(["http"]) is None
