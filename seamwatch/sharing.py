"""Which runner of a location runs which probe: rendezvous hashing over the live members, as a
pure function of the member list and the time of the scheduled run (docs/runners.md).

Every runner of a location reads the same `runners` rows, so for a given scheduled time they
agree on the members that count:

- a member counts once it has been registered for `settle` (half the lease), so every other
  runner has read it (they re-read every quarter lease) before it takes probes over; when no
  member is settled yet (the first runners starting), all live ones count;
- a member stops counting `silent` (three quarters of the lease) after its last heartbeat, or
  at once when it stopped cleanly; a runner always counts itself, so one cut off from the
  database keeps running (possibly twice) rather than leaving its probes unrun.

A probe belongs to the counted member with the highest hash of (member, probe): when a member
joins or leaves, only the probes it gains or loses move.
"""

from __future__ import annotations

import bisect
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass

from storage.runners import Member

HEARTBEAT_FRACTION = 0.25  # heartbeat (and re-read the members) every quarter lease
SILENT_FRACTION = 0.75
SETTLE_FRACTION = 0.5


def score(member: str, key: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{member}\0{key}".encode(), digest_size=8).digest(),
                          "big")


def owner(key: str, members: Iterable[str]) -> str:
    return max(members, key=lambda m: score(m, key))


@dataclass
class Membership:
    """One runner's view of its location: `update` with the members read, then ask `owns`."""

    me: str
    lease_ms: int

    def __post_init__(self) -> None:
        self.members: list[Member] = []
        self._owned: dict[tuple[str, ...], dict[str, bool]] = {}
        self._points: list[int] = []  # every time at which the counted members may change
        self._span: tuple[float, float, tuple[str, ...]] | None = None  # [from, to): members

    def update(self, members: Iterable[Member]) -> None:
        self.members = list(members)
        if len(self._owned) > 8:  # ownership depends on the ids only: keep it across heartbeats
            self._owned.clear()
        self._points = self.changes(-(2**62), 2**62)
        self._span = None

    def counted(self, at_ms: int) -> tuple[str, ...]:
        """The ids of the members that share the probes scheduled at `at_ms` (constant between
        two change points, so computed once per span)."""
        span = self._span
        if span is not None and span[0] <= at_ms < span[1]:
            return span[2]
        ids = self._counted(at_ms)
        i = bisect.bisect_right(self._points, at_ms)
        self._span = (self._points[i - 1] if i else -math.inf,
                      self._points[i] if i < len(self._points) else math.inf, ids)
        return ids

    def _counted(self, at_ms: int) -> tuple[str, ...]:
        silent, settle = self.lease_ms * SILENT_FRACTION, self.lease_ms * SETTLE_FRACTION
        live = [m for m in self.members if m.id == self.me or (
            at_ms < m.heartbeat_ms + silent and (m.stopped_ms is None or at_ms < m.stopped_ms))]
        ids = {m.id for m in live}
        settled = {m.id for m in live if at_ms >= m.started_ms + settle}
        if self.me not in ids:  # never read yet (the database was down at the start)
            ids.add(self.me)
        return tuple(sorted(settled or ids))

    def owns(self, key: str, at_ms: int) -> bool:
        ids = self.counted(at_ms)
        if len(ids) == 1:
            return ids[0] == self.me
        owned = self._owned.setdefault(ids, {})
        mine = owned.get(key)
        if mine is None:
            mine = owned[key] = owner(key, ids) == self.me
        return mine

    def changes(self, start_ms: int, end_ms: int) -> list[int]:
        """The times in (start, end] at which the counted members may change."""
        silent, settle = self.lease_ms * SILENT_FRACTION, self.lease_ms * SETTLE_FRACTION
        points = set()
        for m in self.members:
            for t in (m.started_ms + settle, m.heartbeat_ms + silent, m.stopped_ms):
                if t is not None and start_ms < t <= end_ms:
                    points.add(int(t))
        return sorted(points)

    def candidates(self, keys: Iterable[str], now_ms: int, horizon_ms: int) -> set[str]:
        """The probes this runner may own at some time in [now, now + horizon]: schedule these
        and check `owns` when each fires."""
        wanted = list(keys)
        times = [now_ms, *self.changes(now_ms, now_ms + horizon_ms)]
        return {k for k in wanted if any(self.owns(k, t) for t in times)}
