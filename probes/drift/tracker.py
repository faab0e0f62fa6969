"""The drift book of a process: every step's baseline record in memory (learning or frozen, the
frozen ones compiled for comparison), the events first seen, and what is owed to storage.

Probe runs call `baseline`, `judge` and `learn` (from the event loop or the checks thread, so
the bookkeeping takes a lock; comparing is done by the caller, outside it). The shell
(`seamwatch serve`/`once`) `install`s what storage holds and periodically hands `take_pending()`
to storage: records to save (guarded by their generation, so a `baseline accept` or `reset` made
meanwhile by the CLI wins) and events to insert. docs/architecture.md, "Drift".

Learning is cheap on purpose (it runs on every successful run of every new step): a response
whose reduced shape was merged already changes nothing in the schema, so genson is skipped for
it; and a learning record is owed to storage when it starts and when it freezes, its progress in
between only when the caller asks for it (`take_pending(learning=True)`, every few minutes).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from core.redact import Redactor
from probes.drift.baseline import (
    Baseline,
    BaselineRecord,
    StepKey,
    compile_baseline,
    freeze,
    learn,
)
from probes.drift.rules import Change, Comparison, worst
from probes.drift.shape import Observed, Reduced

EXAMPLE_PATHS = 25


@dataclass(frozen=True, slots=True)
class DriftEvent:
    """A row of the drift history: a change first seen (`kind` "drift"), a baseline learned,
    accepted or reset. `example` holds types and keys only, never values."""

    integration: str
    probe: str
    step: str
    generation: int
    at_ms: int
    kind: str
    rule: str | None = None
    level: str | None = None
    path: str | None = None
    old: str | None = None
    new: str | None = None
    example: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> StepKey:
        return (self.integration, self.probe, self.step)

    @property
    def signature(self) -> str:
        return f"{self.rule} {self.path}"


@dataclass(slots=True)
class Pending:
    records: list[BaselineRecord] = field(default_factory=list)
    events: list[DriftEvent] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.records or self.events)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def example(baseline: Baseline, observed: Observed | None, change: Change) -> dict[str, Any]:
    """The shape around a change before and after: the changed path and its siblings, each with
    its types (no values)."""
    if change.path == "$" or observed is None:
        return {"before": {"status": "|".join(map(str, sorted(baseline.statuses))),
                           "media type": "|".join(sorted(baseline.media_types))},
                "after": {"status" if change.rule == "success_status_changed" else "media type":
                          change.new}}
    rule = baseline.rules.get(change.path)
    seen = observed.paths.get(change.path)
    parent = rule.parent if rule is not None else seen.parent if seen is not None else None

    def around(paths: Iterable[str], types_of: Callable[[str], str]) -> dict[str, str]:
        chosen = [p for p in paths if p == change.path or _parent(p) == parent]
        return {p: types_of(p) for p in sorted(chosen)[:EXAMPLE_PATHS]}

    def _parent(path: str) -> str | None:
        found = baseline.rules.get(path) or observed.paths.get(path)  # type: ignore[union-attr]
        return found.parent if found is not None else None

    return {"before": around(baseline.rules, baseline.types_of),
            "after": around(observed.paths, observed.types_of)}


def _fingerprint(doc: Any) -> bytes:
    """Equal for reduced documents of the same shape (their values are placeholders)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class DriftTracker:
    """`redactor`: keys are kept (never values), and a key could still be a secret a server
    echoes; everything handed to storage, and every degraded reason, passes through it."""

    def __init__(self, redactor: Redactor | None = None) -> None:
        self.redactor = redactor
        self._lock = threading.Lock()
        self._records: dict[StepKey, BaselineRecord] = {}
        self._baselines: dict[StepKey, Baseline] = {}
        self._signatures: dict[StepKey, set[str]] = {}
        self._streaks: dict[StepKey, dict[tuple[str, ...], int]] = {}
        self._shapes: dict[StepKey, set[bytes]] = {}  # learning: reduced shapes merged already
        self._progressed: set[StepKey] = set()  # learning records changed, not yet owed
        self._pending = Pending()

    # ------------------------------------------------------------------ storage side
    def install(self, records: Iterable[BaselineRecord],
                signatures: dict[StepKey, set[str]] | None = None) -> int:
        """Take the stored records that are newer (a higher generation) than the ones held, or
        not held at all; returns how many were taken."""
        taken = 0
        with self._lock:
            for record in records:
                if not self.is_newer(record):
                    continue
                self._replace(record, (signatures or {}).get(record.key, set()))
                taken += 1
        return taken

    def is_newer(self, record: BaselineRecord) -> bool:
        return self.is_newer_generation(record.key, record.generation)

    def is_newer_generation(self, key: StepKey, generation: int) -> bool:
        held = self._records.get(key)
        return held is None or held.generation < generation

    def _replace(self, record: BaselineRecord, signatures: set[str]) -> None:
        key = record.key
        self._records[key] = record
        self._signatures[key] = set(signatures)
        self._streaks.pop(key, None)
        self._shapes.pop(key, None)
        self._progressed.discard(key)
        if record.frozen:
            self._baselines[key] = compile_baseline(record)
        else:
            self._baselines.pop(key, None)

    def take_pending(self, *, learning: bool = True) -> Pending:
        """What is owed to storage since the last call (copies: the records live on);
        `learning`: with the progress of the records still learning."""
        with self._lock:
            if learning:
                for key in self._progressed:
                    self._queue(self._records[key])
                self._progressed.clear()
            pending, self._pending = self._pending, Pending()
            pending.records = [
                replace(r, statuses=list(r.statuses), media_types=list(r.media_types),
                        enums=self._clean(dict(r.enums)), schema=self._clean(r.schema),
                        pending=self._clean(r.pending)) for r in pending.records]
        pending.events = [
            replace(e, path=self.redact(e.path), old=self.redact(e.old), new=self.redact(e.new),
                    example=self._clean(e.example)) for e in pending.events]
        return pending

    def redact(self, text: str | None) -> str | None:
        return text if self.redactor is None or text is None else self.redactor.redact(text)

    def _clean(self, value: Any) -> Any:
        if self.redactor is None or value is None:
            return value
        text = json.dumps(value, ensure_ascii=False)
        redacted = self.redactor.redact(text)
        return value if redacted == text else json.loads(redacted or "null")

    def record(self, key: StepKey) -> BaselineRecord | None:
        return self._records.get(key)

    # ------------------------------------------------------------------ probe side
    def baseline(self, key: StepKey) -> Baseline | None:
        """The frozen baseline of a step, None while it learns."""
        return self._baselines.get(key)

    def learn(self, key: StepKey, samples: list[tuple[int, str, Reduced]],
              learn_runs: int) -> None:
        """Add one successful run's responses of a step that is still learning; freeze its
        baseline once it has `learn_runs` of them."""
        at = now_ms()
        with self._lock:
            if key in self._baselines:
                return
            record = self._records.get(key)
            if record is None:
                record = self._records[key] = BaselineRecord(*key, updated_ms=at)
            shapes = self._shapes.setdefault(key, set())
            for status, media_type, reduced in samples:
                shape = _fingerprint(reduced.doc)
                learn(record, status, media_type, reduced, at, merge_schema=shape not in shapes)
                shapes.add(shape)
            if record.samples >= learn_runs:
                freeze(record, at)
                self._replace(record, set())
                self._pending.events.append(DriftEvent(
                    *key, generation=record.generation, at_ms=at, kind="learned",
                    new=f"{record.samples} runs"))
                self._queue(record)
            elif record.samples == len(samples):  # a new record: listed at once
                self._queue(record)
            else:
                self._progressed.add(key)

    def _queue(self, record: BaselineRecord) -> None:
        if all(r is not record for r in self._pending.records):
            self._pending.records.append(record)

    def judge(self, key: StepKey, baseline: Baseline, comparison: Comparison,
              observed: Observed | None, streak_runs: int,
              drifted: Callable[[], dict[str, Any]]) -> list[Change]:
        """The changes of one response (with the streak-based ones: an optional property absent,
        or a type not seen, for `streak_runs` responses in a row), breaking first; changes not
        seen before under this baseline are queued as events, with `drifted()` (the response's
        shape) kept for `baseline accept`."""
        at = now_ms()
        with self._lock:
            if self._baselines.get(key) is not baseline:
                return []  # replaced meanwhile (accepted or reset): judge the next run
            changes = list(comparison.changes)
            changes += self._streak_changes(key, baseline, comparison, streak_runs)
            seen = self._signatures.setdefault(key, set())
            new = [c for c in changes if c.signature not in seen]
            if new:
                record = self._records[key]
                record.pending = drifted()
                record.updated_ms = at
                self._queue(record)
            for change in new:
                seen.add(change.signature)
                self._pending.events.append(DriftEvent(
                    *key, generation=baseline.generation, at_ms=at, kind="drift",
                    rule=change.rule, level=str(change.level), path=change.path,
                    old=change.old, new=change.new,
                    example=example(baseline, observed, change)))
        return worst(changes)

    def _streak_changes(self, key: StepKey, baseline: Baseline, comparison: Comparison,
                        streak_runs: int) -> list[Change]:
        before = self._streaks.get(key, {})
        now: dict[tuple[str, ...], int] = {}
        for path in comparison.absent_optional:
            now[("optional", path)] = before.get(("optional", path), 0) + 1
        for path, kind in comparison.unseen_types:
            now[("type", path, kind)] = before.get(("type", path, kind), 0) + 1
        self._streaks[key] = now
        changes = []
        for item, count in now.items():
            if count < streak_runs:
                continue
            path = item[1]
            old = baseline.types_of(path)
            if item[0] == "optional":
                changes.append(Change("optional_property_removed", path, old, "absent"))
            else:
                rest = sorted(baseline.rules[path].types - {item[2]})
                changes.append(Change("type_narrowed", path, old, "|".join(rest) or "absent"))
        return changes

    def requeue(self, pending: Pending) -> None:
        """Give back what storage could not take (the records' newer copies win)."""
        with self._lock:
            queued = {r.key for r in self._pending.records}
            self._pending.records[:0] = [r for r in pending.records if r.key not in queued]
            self._pending.events[:0] = pending.events
