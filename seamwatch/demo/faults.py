"""The sandbox's fault schedule: which failure the demo API is acting out at a given moment.

The schedule is data (a list of `Phase`s with start/end in seconds from the app's start) that
repeats every `cycle_s`. A clock is passed in by the caller, so tests can walk the whole cycle with
a fake clock, and an override (`force`) pins one phase for a while (`POST /_sandbox/phase`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# phase kind -> what the sandbox does during it
PHASE_KINDS: dict[str, str] = {
    "normal": "everything works",
    "latency": "every response is delayed (latency spike)",
    "quota_low": "rate-limit headroom is nearly used up (about 5% left)",
    "rate_limited": "the API answers 429 Too Many Requests with Retry-After",
    "outage": "the API and token endpoint answer 503 Service Unavailable",
    "auth_rejected": "the token endpoint rejects the client (invalid_client)",
    "shape_change": "customer objects carry `email_address` instead of `email`",
    "recovery": "everything works again",
}

# (name, seconds at speed 1): a 12-minute cycle. Each fault is followed by a quiet spell long
# enough for a probe at a 10 s interval with recovery_threshold 2 to resolve before the next one.
DEFAULT_PHASES: tuple[tuple[str, float], ...] = (
    ("normal", 60),
    ("latency", 60),
    ("normal", 30),
    ("quota_low", 45),
    ("rate_limited", 45),
    ("normal", 45),
    ("outage", 180),
    ("normal", 45),
    ("auth_rejected", 90),
    ("normal", 30),
    ("shape_change", 60),
    ("recovery", 30),
)


@dataclass(frozen=True)
class Phase:
    name: str
    start: float
    end: float

    @property
    def description(self) -> str:
        return PHASE_KINDS[self.name]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "start": round(self.start, 3), "end": round(self.end, 3),
                "description": self.description}


@dataclass(frozen=True)
class PhaseNow:
    """The phase in force at one moment, and how long it has left."""

    phase: Phase
    elapsed_s: float  # since the app started
    remaining_s: float  # until this phase ends (or the override expires)
    override: bool


class FaultSchedule:
    """A repeating list of phases on an injectable clock, with a temporary override."""

    def __init__(self, phases: Sequence[Phase], clock: Callable[[], float]) -> None:
        if not phases:
            raise ValueError("a fault schedule needs at least one phase")
        expected = 0.0
        for phase in phases:
            if phase.name not in PHASE_KINDS:
                raise ValueError(f"unknown phase {phase.name!r}; known: {', '.join(PHASE_KINDS)}")
            if abs(phase.start - expected) > 1e-9 or phase.end <= phase.start:
                raise ValueError("phases must be contiguous, start at 0 and have positive length")
            expected = phase.end
        self.phases: tuple[Phase, ...] = tuple(phases)
        self.cycle_s = expected
        self.clock = clock
        self.started = clock()
        self._forced: tuple[Phase, float] | None = None  # (phase, until clock value)

    @classmethod
    def from_lengths(cls, lengths: Sequence[tuple[str, float]], clock: Callable[[], float],
                     speed: float = 1.0) -> FaultSchedule:
        """Phases from (name, seconds) pairs; `speed` 2.0 runs the cycle twice as fast."""
        if speed <= 0:
            raise ValueError("speed must be positive")
        phases: list[Phase] = []
        start = 0.0
        for name, length in lengths:
            end = start + length / speed
            phases.append(Phase(name, start, end))
            start = end
        return cls(phases, clock)

    @classmethod
    def default(cls, clock: Callable[[], float], speed: float = 1.0) -> FaultSchedule:
        return cls.from_lengths(DEFAULT_PHASES, clock, speed)

    def force(self, name: str, for_s: float) -> None:
        """Act out phase `name` for `for_s` seconds from now, whatever the schedule says."""
        if name not in PHASE_KINDS:
            raise ValueError(f"unknown phase {name!r}; known: {', '.join(PHASE_KINDS)}")
        if for_s <= 0:
            raise ValueError("for_s must be positive")
        now = self.clock()
        self._forced = (Phase(name, now - self.started, now - self.started + for_s), now + for_s)

    def clear(self) -> None:
        self._forced = None

    def now(self) -> PhaseNow:
        now = self.clock()
        elapsed = max(0.0, now - self.started)
        if self._forced is not None:
            phase, until = self._forced
            if now < until:
                return PhaseNow(phase, elapsed, until - now, override=True)
            self._forced = None
        offset = elapsed % self.cycle_s
        for phase in self.phases:
            if phase.start <= offset < phase.end:
                return PhaseNow(phase, elapsed, phase.end - offset, override=False)
        last = self.phases[-1]  # float rounding at the very end of the cycle
        return PhaseNow(last, elapsed, 0.0, override=False)

    def next_phase(self, current: Phase) -> Phase:
        for index, phase in enumerate(self.phases):
            if phase == current:
                return self.phases[(index + 1) % len(self.phases)]
        return self.phases[0]

    def status(self) -> dict[str, Any]:
        current = self.now()
        upcoming = None if current.override else self.next_phase(current.phase).name
        return {
            "phase": current.phase.name,
            "description": current.phase.description,
            "override": current.override,
            "remaining_s": round(current.remaining_s, 3),
            "next": upcoming,
            "elapsed_s": round(current.elapsed_s, 3),
            "cycle_s": round(self.cycle_s, 3),
            "schedule": [phase.as_dict() for phase in self.phases],
        }
