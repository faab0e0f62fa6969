"""What one attempt of an `http` probe asks of the drift book (probes/drift/tracker.py): after a
step's own checks pass, `check` compares its response with the step's frozen baseline and
applies the probe's `drift:` policy (a failure, a degraded run, or only the event), or keeps
the response's reduced shape while the baseline learns; `finish` learns those shapes when the
attempt succeeded (one successful attempt is one successful run) and marks the attempt degraded
when the policy said so. Runs wherever the step's checks run (the event loop, or the checks
thread for big bodies)."""

from __future__ import annotations

import json
from typing import Any

from probes.drift.baseline import StepKey, drifted_shape
from probes.drift.rules import Change, Level, compare
from probes.drift.shape import Reduced, observe, reduce
from probes.drift.spec import DriftPolicy
from probes.drift.tracker import DriftTracker
from probes.result import Attempt, Category, Failure


def media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def is_json(media: str | None) -> bool:
    return media is not None and (media == "application/json" or media.endswith("+json"))


class DriftSession:
    def __init__(self, tracker: DriftTracker, integration: str, probe: str,
                 policy: DriftPolicy) -> None:
        self.tracker = tracker
        self.integration = integration
        self.probe = probe
        self.policy = policy
        self.degraded: str | None = None
        self._learned: dict[str, list[tuple[int, str, Reduced]]] = {}

    def check(self, step: str, status: int, content_type: str | None, body: bytes,
              doc: Any, parsed: bool) -> Failure | None:
        """Judge (or keep for learning) the response of a step whose checks passed. `doc` is
        the parsed body when `parsed`; a JSON body is parsed here otherwise (a body that does
        not parse is not learned, and is judged by its media type only)."""
        key: StepKey = (self.integration, self.probe, step)
        media = media_type(content_type) if body else None
        if is_json(media) and not parsed:
            try:
                doc, parsed = json.loads(body), True
            except (ValueError, RecursionError):
                parsed = False
        json_body = parsed and is_json(media)
        baseline = self.tracker.baseline(key)
        if baseline is None:
            if json_body:
                assert media is not None
                self._learned.setdefault(step, []).append((status, media, reduce(doc)))
            return None
        try:
            observed = observe(doc, baseline.enum_paths) if json_body else None
        except RecursionError:
            observed = None
        comparison = compare(baseline, status, media, observed)
        changes = self.tracker.judge(
            key, baseline, comparison, observed, self.policy.learn_runs,
            lambda: drifted_shape(status, media, doc, json_body))
        return self._verdict(step, changes)

    def _verdict(self, step: str, changes: list[Change]) -> Failure | None:
        breaking = [c for c in changes if c.level is Level.BREAKING]
        warnings = [c for c in changes if c.level is Level.WARNING]
        if breaking and self.policy.on_breaking == "fail":
            first = breaking[0]
            more = f" (and {len(breaking) - 1} more)" if len(breaking) > 1 else ""
            return Failure(Category.SCHEMA, f"drift_{first.rule}",
                           f"response shape drifted from its baseline: {first.message()}{more}")
        degrading = (breaking if self.policy.on_breaking == "degrade" else []) + (
            warnings if self.policy.on_warning == "degrade" else [])
        if degrading and self.degraded is None:
            self.degraded = self.tracker.redact(
                f"step {step}: response shape drifted: {degrading[0].message()}")
        return None

    def finish(self, attempt: Attempt) -> None:
        if attempt.failure is not None:
            return
        for step, samples in self._learned.items():
            self.tracker.learn((self.integration, self.probe, step), samples,
                               self.policy.learn_runs)
        if self.degraded is not None and attempt.degraded_reason is None:
            attempt.degraded_reason = self.degraded
