"""The last heartbeat and webhook times of a `serve` and the database (storage/inbound.py):
restored at the start, saved every SAVE_INTERVAL_S and at the stop. When runners share the
database (PostgreSQL), each pass also reads the others' times back: a load balancer hands a
heartbeat to any runner of a location, and the runner that owns the heartbeat probe counts it
within about two passes (docs/runners.md, "Heartbeats and webhooks"). Blocking: call `save` in a
worker thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from storage.database import Store
from storage.inbound import load_seen, save_seen

log = logging.getLogger(__name__)

SAVE_INTERVAL_S = 10.0


class SeenClock(Protocol):
    """The heartbeat registry (probes/heartbeats.py) or the webhook receiver
    (seamwatch/webhooks.py): last authentic receipt times per probe, moved forward only."""

    def seen(self) -> dict[str, float]: ...

    def restore(self, seen: Mapping[str, float]) -> None: ...


class InboundSync:
    def __init__(self, store: Store, *clocks: SeenClock) -> None:
        self.store = store
        self.clocks = clocks
        self._stored: dict[str, float] = {}  # what the database holds, as far as we know

    def restore(self, probe_ids: Mapping[str, int]) -> bool:
        """Take the stored times (of this runner's earlier life, or of other runners); False
        when the database could not be read (logged; a database outage must not stop serve)."""
        try:
            stored = load_seen(self.store, probe_ids)
        except Exception as exc:
            log.warning("last heartbeat/webhook times not read (%s: %s)", type(exc).__name__, exc)
            return False
        for clock in self.clocks:
            clock.restore(stored)
        self._stored.update(stored)
        return True

    def save(self, probe_ids: Mapping[str, int]) -> None:
        """Store the times that moved since the last pass; with a shared database, then take
        the times other runners stored."""
        current: dict[str, float] = {}
        for clock in self.clocks:
            current.update(clock.seen())
        changed = {k: v for k, v in current.items() if self._stored.get(k) != v}
        if changed:
            try:
                save_seen(self.store, probe_ids, changed)
            except Exception as exc:
                log.warning("last heartbeat/webhook times not stored (%s: %s); retrying later",
                            type(exc).__name__, exc)
                return
            self._stored.update(changed)
        if not self.store.sole_runner:
            self.restore(probe_ids)
