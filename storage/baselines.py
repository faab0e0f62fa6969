"""Reads and writes of the drift tables (`storage.schema.drift`): what `serve` and `once` load
into their drift book (probes/drift/tracker.py) and save from it, and what `seamwatch baseline`
lists, shows, accepts and resets. docs/architecture.md, "Drift".

A save never overwrites a newer generation: when the CLI accepted or reset a baseline while a
process held the older one, the process's copy is dropped and it loads the new one instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from probes.drift.baseline import BaselineRecord, StepKey
from probes.drift.baseline import accept as accept_record
from probes.drift.baseline import reset as reset_record
from probes.drift.tracker import DriftEvent, Pending, now_ms
from storage.database import Store
from storage.schema.drift import drift_baselines_t, drift_events_t

B, E = drift_baselines_t, drift_events_t


def _record(found: Any) -> BaselineRecord:
    row = found._mapping
    return BaselineRecord(
        integration=row["integration"], probe=row["probe"], step=row["step"],
        generation=row["generation"], frozen=bool(row["frozen"]), samples=row["samples"],
        schema=row["schema"], statuses=list(row["statuses"]),
        media_types=list(row["media_types"]), enums=dict(row["enums"]),
        pending=row["pending"], updated_ms=row["updated_ms"], frozen_ms=row["frozen_ms"],
    )


def _values(record: BaselineRecord) -> dict[str, Any]:
    return {
        "generation": record.generation, "frozen": record.frozen, "samples": record.samples,
        "schema": record.schema, "statuses": record.statuses,
        "media_types": record.media_types, "enums": record.enums, "pending": record.pending,
        "updated_ms": record.updated_ms, "frozen_ms": record.frozen_ms,
    }


# One baseline by its key, in statements built once (building them costs more than running
# them on SQLite); `_key_params` fills the key in.
_BY_KEY = sa.and_(B.c.integration == sa.bindparam("k_integration"),
                  B.c.probe == sa.bindparam("k_probe"), B.c.step == sa.bindparam("k_step"))
_STORED_GENERATION = sa.select(B.c.generation).where(_BY_KEY)
_SELECT_BY_KEY = sa.select(B).where(_BY_KEY)
_UPDATE_BY_KEY = B.update().where(_BY_KEY)


def _key_params(key: StepKey) -> dict[str, str]:
    return {"k_integration": key[0], "k_probe": key[1], "k_step": key[2]}


def load(store: Store, *, since_ms: int | None = None
         ) -> tuple[list[BaselineRecord], dict[StepKey, set[str]]]:
    """Every baseline (or those updated since `since_ms`) and, per step, the signatures of the
    drift events already recorded under its current generation."""
    records = load_records(store, since_ms=since_ms)
    return records, signatures(store, records)


def load_records(store: Store, *, since_ms: int | None = None,
                 keys: Iterable[StepKey] | None = None) -> list[BaselineRecord]:
    """Every baseline, those updated since `since_ms`, or those of `keys`."""
    query = sa.select(B)
    if since_ms is not None:
        query = query.where(B.c.updated_ms >= since_ms)
    wanted = None if keys is None else set(keys)
    if wanted is not None:
        query = query.where(B.c.integration.in_({key[0] for key in wanted}),
                            B.c.probe.in_({key[1] for key in wanted}))
    with store.engine.connect() as conn:
        records = [_record(row) for row in conn.execute(query)]
    return records if wanted is None else [r for r in records if r.key in wanted]


def generations(store: Store, since_ms: int | None = None) -> list[tuple[StepKey, int]]:
    """Each baseline's key and generation (updated since `since_ms`): what tells a process
    which stored baselines are newer than its own, without reading their schemas."""
    query = sa.select(B.c.integration, B.c.probe, B.c.step, B.c.generation)
    if since_ms is not None:
        query = query.where(B.c.updated_ms >= since_ms)
    with store.engine.connect() as conn:
        return [((row.integration, row.probe, row.step), row.generation)
                for row in conn.execute(query)]


def signatures(store: Store, records: list[BaselineRecord]) -> dict[StepKey, set[str]]:
    """Per step, the signatures of the drift events recorded under its record's generation."""
    found: dict[StepKey, set[str]] = {}
    if not records:
        return found
    generations = {r.key: r.generation for r in records}
    query = sa.select(E.c.integration, E.c.probe, E.c.step, E.c.generation, E.c.rule,
                      E.c.path).where(E.c.kind == "drift",
                                      E.c.integration.in_({r.integration for r in records}))
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            key = (row.integration, row.probe, row.step)
            if generations.get(key) == row.generation:
                found.setdefault(key, set()).add(f"{row.rule} {row.path}")
    return found


def _event_row(event: DriftEvent) -> dict[str, Any]:
    return {
        "at_ms": event.at_ms, "integration": event.integration, "probe": event.probe,
        "step": event.step, "generation": event.generation, "kind": event.kind,
        "rule": event.rule, "level": event.level, "path": event.path, "old": event.old,
        "new": event.new, "example": event.example,
    }


def save(store: Store, pending: Pending) -> list[StepKey]:
    """Write what a drift book owes in one transaction; returns the steps whose stored
    generation is newer than the saved copy (the caller reloads them)."""
    stale: list[StepKey] = []
    if not pending:
        return stale
    with store.write() as conn:
        for record in pending.records:
            params = _key_params(record.key)
            stored = conn.execute(_STORED_GENERATION, params).scalar_one_or_none()
            if stored is None:
                conn.execute(B.insert(), {"integration": record.integration,
                                          "probe": record.probe, "step": record.step,
                                          **_values(record)})
            elif stored == record.generation:
                conn.execute(_UPDATE_BY_KEY, {**params, **_values(record)})
            else:
                stale.append(record.key)
        events, kept = [], set()
        for event in pending.events:
            once = (event.key, event.generation, event.signature)
            if event.kind == "drift" and (once in kept or _event_exists(conn, event)):
                continue
            kept.add(once)
            events.append(_event_row(event))
        if events:
            conn.execute(E.insert(), events)
    return stale


def _event_exists(conn: sa.Connection, event: DriftEvent) -> bool:
    """Another process (a `once` beside `serve`) may have recorded the same change already."""
    query = sa.select(E.c.id).where(
        E.c.integration == event.integration, E.c.probe == event.probe, E.c.step == event.step,
        E.c.generation == event.generation, E.c.kind == "drift", E.c.rule == event.rule,
        E.c.path == event.path).limit(1)
    return conn.execute(query).first() is not None


def select(store: Store, integration: str, probe: str | None = None,
           step: str | None = None) -> list[BaselineRecord]:
    """The baselines of an integration, a probe or a step, in name order."""
    query = sa.select(B).where(B.c.integration == integration)
    if probe is not None:
        query = query.where(B.c.probe == probe)
    if step is not None:
        query = query.where(B.c.step == step)
    with store.engine.connect() as conn:
        return [_record(r) for r in conn.execute(query.order_by(B.c.probe, B.c.step))]


def all_baselines(store: Store) -> list[BaselineRecord]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(B).order_by(B.c.integration, B.c.probe, B.c.step))
        return [_record(r) for r in rows]


def events(store: Store, integration: str, probe: str, *, step: str | None = None,
           limit: int = 50) -> list[DriftEvent]:
    """A probe's drift history, newest first."""
    query = sa.select(E).where(E.c.integration == integration, E.c.probe == probe)
    if step is not None:
        query = query.where(E.c.step == step)
    with store.engine.connect() as conn:
        rows = conn.execute(query.order_by(E.c.at_ms.desc(), E.c.id.desc()).limit(limit))
        return [DriftEvent(r.integration, r.probe, r.step, r.generation, r.at_ms, r.kind,
                           r.rule, r.level, r.path, r.old, r.new, dict(r.example))
                for r in rows]


def _change(store: Store, keys: Iterable[StepKey], kind: str, detail: str) -> list[StepKey]:
    """Accept or reset the given steps' baselines (one transaction), each with its event."""
    done: list[StepKey] = []
    at = now_ms()
    with store.write() as conn:
        for key in keys:
            row = conn.execute(_SELECT_BY_KEY, _key_params(key)).first()
            if row is None:
                continue
            record = _record(row)
            if kind == "accepted":
                if not record.frozen or not accept_record(record, at):
                    continue
            else:
                record = reset_record(record, at)
            conn.execute(_UPDATE_BY_KEY, {**_key_params(key), **_values(record)})
            conn.execute(E.insert(), [_event_row(DriftEvent(
                *key, generation=record.generation, at_ms=at, kind=kind, new=detail))])
            done.append(key)
    return done


def accept(store: Store, keys: Iterable[StepKey], by: str = "seamwatch baseline accept"
           ) -> list[StepKey]:
    """Merge each frozen baseline's pending drifted shape into it; the steps accepted."""
    return _change(store, keys, "accepted", by)


def reset(store: Store, keys: Iterable[StepKey], by: str = "seamwatch baseline reset"
          ) -> list[StepKey]:
    """Make each baseline learn again from its next successful runs."""
    return _change(store, keys, "reset", by)
