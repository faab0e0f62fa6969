"""Differences between a response and its step's frozen baseline, classified with the
response-side rules of oasdiff (the OpenAPI breaking-change checker):

- breaking: a required property removed, a type changed or widened, a property became nullable
  or optional, a success status or the media type changed;
- warning: an optional property removed, a new value in an enum-like (small closed) set;
- info: a property added, a type narrowed.

`compare` judges one response. Removal of an optional property and narrowing need several runs
to tell from chance (an optional key is absent now and then by definition), so `compare` only
reports what is absent this time (`absent_optional`, `unseen_types`) and the tracker
(probes/drift/tracker.py) turns a long enough streak into a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from probes.drift.baseline import Baseline
from probes.drift.shape import Observed


class Level(StrEnum):
    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"


RULES: dict[str, tuple[Level, str]] = {
    "required_property_removed": (Level.BREAKING, "required property removed"),
    "type_changed": (Level.BREAKING, "type changed"),
    "type_widened": (Level.BREAKING, "type widened"),
    "became_nullable": (Level.BREAKING, "became nullable"),
    "became_optional": (Level.BREAKING, "became optional"),
    "success_status_changed": (Level.BREAKING, "success status changed"),
    "media_type_changed": (Level.BREAKING, "media type changed"),
    "optional_property_removed": (Level.WARNING, "optional property removed"),
    "new_enum_value": (Level.WARNING, "new value in an enum-like set"),
    "property_added": (Level.INFO, "property added"),
    "type_narrowed": (Level.INFO, "type narrowed"),
}
LEVEL_ORDER = {Level.BREAKING: 0, Level.WARNING: 1, Level.INFO: 2}


@dataclass(frozen=True, slots=True)
class Change:
    rule: str
    path: str
    old: str
    new: str

    @property
    def level(self) -> Level:
        return RULES[self.rule][0]

    @property
    def signature(self) -> str:
        """One event per signature and baseline generation."""
        return f"{self.rule} {self.path}"

    def message(self) -> str:
        return f"{self.path}: {RULES[self.rule][1]} (was {self.old}, now {self.new})"


@dataclass(slots=True)
class Comparison:
    changes: list[Change] = field(default_factory=list)
    absent_optional: list[str] = field(default_factory=list)
    unseen_types: list[tuple[str, str]] = field(default_factory=list)


def _covered(kind: str, old: frozenset[str]) -> bool:
    return kind in old or (kind == "integer" and "number" in old)


def _type_changes(path: str, old: frozenset[str], new: set[str], out: Comparison) -> None:
    added = {kind for kind in new if not _covered(kind, old)}
    if not added:  # narrowed this time, perhaps (a streak of these is type_narrowed)
        out.unseen_types.extend((path, kind) for kind in old if kind not in new
                                and not (kind == "number" and "integer" in new))
        return
    old_text, new_text = "|".join(sorted(old)), "|".join(sorted(new))
    if "null" in added:
        out.changes.append(Change("became_nullable", path, old_text, new_text))
        added.discard("null")
    if added:
        kept = bool((new - added - {"null"}) & old) or ("integer" in old and "number" in new)
        rule = "type_widened" if kept else "type_changed"
        out.changes.append(Change(rule, path, old_text, new_text))


def compare(baseline: Baseline, status: int, media_type: str | None,
            observed: Observed | None) -> Comparison:
    """How one response (its status, media type and, for a JSON body, its observed shape)
    differs from `baseline`."""
    out = Comparison()
    if baseline.statuses and status not in baseline.statuses:
        out.changes.append(Change("success_status_changed", "$", _join(baseline.statuses),
                                  str(status)))
    if media_type is not None and baseline.media_types \
            and media_type not in baseline.media_types:
        out.changes.append(Change("media_type_changed", "$", _join(baseline.media_types),
                                  media_type))
    if observed is None:
        return out
    paths = observed.paths
    for path, rule in baseline.rules.items():
        seen = paths.get(path)
        if rule.member:
            parent = paths.get(rule.parent or "")
            if parent is None or parent.objects == 0:
                continue  # nothing to judge: the parent is absent or no longer an object
            if seen is None:
                if not observed.complete:
                    continue
                if rule.required:
                    out.changes.append(Change("required_property_removed", path,
                                              baseline.types_of(path), "absent"))
                else:
                    out.absent_optional.append(path)
                continue
            if rule.required and seen.seen < parent.objects and observed.complete:
                out.changes.append(Change("became_optional", path, "required",
                                          f"absent in {parent.objects - seen.seen} of "
                                          f"{parent.objects}"))
        if seen is None:
            continue
        _type_changes(path, rule.types, seen.types, out)
        digests = baseline.enums.get(path)
        if digests is not None and observed.strings.get(path, set()) - digests:
            out.changes.append(Change("new_enum_value", path, f"one of {len(digests)} values",
                                      "a value outside that set"))
    added = [Change("property_added", path, "absent", observed.types_of(path))
             for path, seen in paths.items()
             if path not in baseline.rules and seen.parent in baseline.rules]
    out.changes.extend(_fold_renames(baseline, observed, added, out.changes))
    return out


def _fold_renames(baseline: Baseline, observed: Observed, added: list[Change],
                  changes: list[Change]) -> list[Change]:
    """A required property removed and one property of the same type added beside it is one
    change, a rename: the removal (breaking) names the new key; the addition is not repeated.
    Returns the additions left."""
    left = list(added)
    for index, change in enumerate(changes):
        if change.rule != "required_property_removed":
            continue
        parent = baseline.rules[change.path].parent
        twins = [a for a in left if observed.paths[a.path].parent == parent
                 and a.new == change.old]
        if len(twins) == 1:
            left.remove(twins[0])
            changes[index] = Change(change.rule, change.path, change.old,
                                    f"absent; {twins[0].path} added with that type")
    return left


def _join(values: frozenset[int] | frozenset[str]) -> str:
    return "|".join(str(v) for v in sorted(values, key=str))


def worst(changes: list[Change]) -> list[Change]:
    """The changes sorted by level, breaking first (stable within a level)."""
    return sorted(changes, key=lambda c: LEVEL_ORDER[c.level])
