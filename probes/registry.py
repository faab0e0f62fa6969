"""The probe kinds, listed once. Everything that depends on the set of kinds is derived from
`KINDS`: the discriminated config union (`probe_union`, used by probes/spec.py and so by the JSON
Schema), the kind names users may write (`PROBE_KINDS`), the dispatch of a run to its kind
(`kind_of`, used by probes/run.py) and the per-kind config checks (`kind_named`, used by
seamwatch's config checks).

Adding a kind: a module in probes/kinds/ exporting `KIND`, its entry here, and its tests
(docs/architecture.md, Probe kinds).
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Discriminator, Tag

from probes.kinds import (
    amqp,
    auth,
    dns,
    heartbeat,
    http,
    mqtt,
    mysql,
    nats,
    postgres,
    python,
    redis,
    tcp,
    tls,
    webhook,
)
from probes.kinds.base import ProbeCommon, ProbeKind

KINDS: tuple[ProbeKind[Any], ...] = (
    http.KIND,
    tls.KIND,
    tcp.KIND,
    dns.KIND,
    heartbeat.KIND,
    webhook.KIND,
    python.KIND,
    amqp.KIND,
    redis.KIND,
    nats.KIND,
    mqtt.KIND,
    postgres.KIND,
    mysql.KIND,
    auth.KIND,
)

DEFAULT_KIND = "http"  # what a probe without `type:` is
PROBE_KINDS: tuple[str, ...] = tuple(kind.name for kind in KINDS if kind.user_writable)

_BY_NAME = {kind.name: kind for kind in KINDS}
_BY_MODEL: dict[type[ProbeCommon], ProbeKind[Any]] = {kind.model: kind for kind in KINDS}


def kind_of(probe: ProbeCommon) -> ProbeKind[Any]:
    """The kind whose model `probe` is. Raises TypeError for an unregistered model."""
    found = _BY_MODEL.get(type(probe))
    if found is None:
        raise TypeError(f"no runner for probe kind {type(probe).__name__}")
    return found


def kind_named(name: object) -> ProbeKind[Any] | None:
    """The kind a `type:` value names (None for anything else, including non-strings)."""
    return _BY_NAME.get(name) if isinstance(name, str) else None


def _discriminator(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", DEFAULT_KIND))
    return str(getattr(value, "type", DEFAULT_KIND))


def probe_union() -> Any:
    """The config union of the kinds users may write, discriminated by `type` (default `http`)."""
    members = tuple(Annotated[kind.model, Tag(kind.name)] for kind in KINDS if kind.user_writable)
    return Annotated[Union[members], Discriminator(_discriminator)]  # noqa: UP007
