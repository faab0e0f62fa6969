"""One step's baseline: learned with genson from the reduced bodies of its first successful runs
(`BaselineRecord`, the form storage/ persists), then frozen and compiled into `Baseline`, the
flat per-path index the hot path compares with (probes/drift/rules.py).

genson merges the samples: a key present in every sample is `required`, one seen in fewer is
optional; types seen at a path become a type list (or `anyOf` with objects and arrays). Status
codes and media types of the samples are sets beside the schema. Enum-like strings are kept as
digests (probes/drift/shape.py), never as values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from genson import SchemaBuilder

from probes.drift.shape import ANY_MEMBER, ROOT, Reduced, child_path, item_path, reduce

StepKey = tuple[str, str, str]  # (integration, probe, step)

# An enum-like string field: 2..ENUM_MAX distinct values over the samples, each value seen
# ENUM_REPEAT times on average (a closed set, not ids or names that merely repeat).
ENUM_MAX = 8
ENUM_REPEAT = 3


@dataclass(slots=True)
class BaselineRecord:
    """A step's baseline as stored: learning (`frozen` False, `samples` so far) or frozen.

    `enums` while learning: path -> {"values": [digest...], "seen": samples} or None (not
    enum-like); once frozen: path -> [digest...]. `pending`: the latest shape that drifted
    (schema, statuses, media types: no values), what `baseline accept` merges in.
    `generation` grows with every accept or reset, so a process holding an older copy notices."""

    integration: str
    probe: str
    step: str
    generation: int = 1
    frozen: bool = False
    samples: int = 0
    schema: dict[str, Any] | None = None
    statuses: list[int] = field(default_factory=list)
    media_types: list[str] = field(default_factory=list)
    enums: dict[str, Any] = field(default_factory=dict)
    pending: dict[str, Any] | None = None
    updated_ms: int = 0
    frozen_ms: int | None = None

    @property
    def key(self) -> StepKey:
        return (self.integration, self.probe, self.step)


def _complete_required(schema: Any) -> Any:
    """genson omits an empty `required`, and a builder seeded with such a schema would treat
    the next object's keys as required: say `required: []` explicitly."""
    if isinstance(schema, dict):
        for value in schema.values():
            if isinstance(value, (dict, list)):
                _complete_required(value)
        kinds = schema.get("type")
        if kinds == "object":
            schema.setdefault("required", [])
        elif isinstance(kinds, list) and "object" in kinds:  # ["null", "object"]: an empty {}
            rest = {k: v for k, v in schema.items() if k != "type"}
            schema.clear()
            schema["anyOf"] = [
                {"type": k, **({"items": rest["items"]} if k == "array" and "items" in rest
                               else {})}
                for k in kinds if k != "object"
            ] + [{"type": "object", "properties": rest.get("properties", {}),
                  "required": rest.get("required", [])}]
    elif isinstance(schema, list):
        for value in schema:
            _complete_required(value)
    return schema


def merge_schemas(*schemas: dict[str, Any] | None) -> dict[str, Any] | None:
    builder = SchemaBuilder(schema_uri=None)
    added = False
    for schema in schemas:
        if schema:
            builder.add_schema(schema)
            added = True
    return _complete_required(builder.to_schema()) if added else None


def schema_of(reduced: Reduced) -> dict[str, Any]:
    builder = SchemaBuilder(schema_uri=None)
    builder.add_object(reduced.doc)
    return dict(_complete_required(builder.to_schema()))


def _add(values: list[Any], value: Any) -> None:
    if value not in values:
        values.append(value)


def learn(record: BaselineRecord, status: int, media_type: str, reduced: Reduced,
          now_ms: int, *, merge_schema: bool = True) -> None:
    """Add one successful response to a learning record. `merge_schema` False: the caller knows
    a document of the same shape was merged already (merging it again changes nothing)."""
    if merge_schema or record.schema is None:
        record.schema = merge_schemas(record.schema, schema_of(reduced))
    _add(record.statuses, status)
    _add(record.media_types, media_type)
    for path, digests in reduced.strings.items():
        known = record.enums.get(path, {"values": [], "seen": 0})
        if known is None:
            continue
        if digests is None or len(set(known["values"]) | digests) > ENUM_MAX:
            record.enums[path] = None
            continue
        record.enums[path] = {"values": sorted(set(known["values"]) | digests),
                              "seen": known["seen"] + 1}
    record.samples += 1
    record.updated_ms = now_ms


def freeze(record: BaselineRecord, now_ms: int) -> None:
    record.enums = {
        path: known["values"] for path, known in record.enums.items()
        if known is not None and len(known["values"]) >= 2
        and known["seen"] >= ENUM_REPEAT * len(known["values"])
    }
    record.frozen = True
    record.frozen_ms = record.updated_ms = now_ms


def drifted_shape(status: int, media_type: str | None, doc: Any, parsed: bool) -> dict[str, Any]:
    """What `baseline accept` would merge in: the response's schema (types and keys only)."""
    return {"schema": schema_of(reduce(doc)) if parsed else None, "statuses": [status],
            "media_types": [media_type] if media_type else []}


def accept(record: BaselineRecord, now_ms: int) -> bool:
    """Merge the pending drifted shape into a frozen baseline (both shapes are then fine).
    False when nothing is pending."""
    if record.pending is None:
        return False
    pending = record.pending
    record.schema = merge_schemas(record.schema, pending.get("schema"))
    for status in pending.get("statuses", []):
        _add(record.statuses, status)
    for media_type in pending.get("media_types", []):
        _add(record.media_types, media_type)
    record.pending = None
    record.generation += 1
    record.updated_ms = now_ms
    return True


def reset(record: BaselineRecord, now_ms: int) -> BaselineRecord:
    """A new learning record in place of `record`."""
    return BaselineRecord(record.integration, record.probe, record.step,
                          generation=record.generation + 1, updated_ms=now_ms)


@dataclass(frozen=True, slots=True)
class PathRule:
    types: frozenset[str]
    required: bool
    member: bool  # an object's key (presence is judged); not the root, an item or a map member
    parent: str | None


@dataclass(frozen=True, slots=True)
class Baseline:
    """A frozen baseline compiled for comparison: every path of the schema with its types."""

    rules: dict[str, PathRule]
    statuses: frozenset[int]
    media_types: frozenset[str]
    enums: dict[str, frozenset[str]]
    generation: int

    @property
    def enum_paths(self) -> frozenset[str]:
        return frozenset(self.enums)

    def types_of(self, path: str) -> str:
        rule = self.rules.get(path)
        return "|".join(sorted(rule.types)) if rule else "absent"


def _alternatives(node: dict[str, Any]) -> list[dict[str, Any]]:
    return list(node.get("anyOf", [])) + ([node] if "type" in node else [])


def _compile(node: dict[str, Any], path: str, parent: str | None, member: bool,
             required: bool, out: dict[str, PathRule]) -> None:
    types: set[str] = set()
    properties: dict[str, Any] = {}
    required_keys: set[str] = set()
    items: list[dict[str, Any]] = []
    for alt in _alternatives(node):
        kind = alt.get("type")
        types.update(kind if isinstance(kind, list) else [kind] if kind else [])
        properties.update(alt.get("properties", {}))
        required_keys.update(alt.get("required", []))
        if isinstance(alt.get("items"), dict):
            items.append(alt["items"])
    out[path] = PathRule(frozenset(types), required, member, parent)
    for key, sub in properties.items():
        is_member = key != ANY_MEMBER
        _compile(sub, child_path(path, key), path, is_member,
                 is_member and key in required_keys, out)
    for sub in items:
        _compile(sub, item_path(path), path, False, False, out)


def compile_baseline(record: BaselineRecord) -> Baseline:
    rules: dict[str, PathRule] = {}
    if record.schema:
        _compile(record.schema, ROOT, None, False, True, rules)
    return Baseline(
        rules=rules, statuses=frozenset(record.statuses),
        media_types=frozenset(record.media_types),
        enums={path: frozenset(values) for path, values in record.enums.items()
               if isinstance(values, list)},
        generation=record.generation,
    )
