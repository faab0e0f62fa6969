"""The catalog: integrations and probes keyed by NAME.

A restart keeps every id (and so the history); a renamed probe is a new probe; a probe missing from
the config is marked retired (`retired_ms`) and keeps its runs; reappearing un-retires it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from storage.codes import now_ms
from storage.database import Store
from storage.schema import integrations_t, locations_t, probes_t

CatalogEntry = tuple[str, str, str, Mapping[str, Any]]  # integration, probe, kind, meta


def probe_key(integration: str, probe: str) -> str:
    return f"{integration}/{probe}"


def _insert_ignore(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """INSERT … ON CONFLICT DO NOTHING (another runner may insert the same names concurrently)."""
    if not rows:
        return
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def ensure_integrations(
    conn: sa.Connection, names: Iterable[str], now: int | None = None
) -> dict[str, int]:
    wanted = set(names)
    ts = now if now is not None else now_ms()
    known = {
        n: i
        for i, n in conn.execute(sa.select(integrations_t.c.id, integrations_t.c.name))
        if n in wanted
    }
    missing = [{"name": n, "tags": [], "created_ms": ts} for n in sorted(wanted - set(known))]
    if missing:
        _insert_ignore(conn, integrations_t, missing)
        return ensure_integrations(conn, wanted, ts)
    return known


def ensure_probes(
    conn: sa.Connection, probes: Mapping[tuple[str, str], str], now: int | None = None
) -> dict[str, int]:
    """Ids for (integration, probe) -> kind, creating missing rows. Used by sync_catalog and by the
    writer for results of probes it has not seen (e.g. `seamwatch once` on a fresh database)."""
    ts = now if now is not None else now_ms()
    integ_ids = ensure_integrations(conn, {i for i, _ in probes}, ts)
    rows = conn.execute(
        sa.select(probes_t.c.id, probes_t.c.integration_id, probes_t.c.name).where(
            probes_t.c.integration_id.in_(list(integ_ids.values()))
        )
    )
    by_pair = {(iid, name): pid for pid, iid, name in rows}
    result: dict[str, int] = {}
    missing: list[dict[str, Any]] = []
    for (integ, name), kind in probes.items():
        pid = by_pair.get((integ_ids[integ], name))
        if pid is None:
            missing.append(
                {"integration_id": integ_ids[integ], "name": name, "kind": kind, "meta": {},
                 "created_ms": ts}
            )
        else:
            result[probe_key(integ, name)] = pid
    if missing:
        _insert_ignore(conn, probes_t, missing)
        return ensure_probes(conn, probes, ts)
    return result


def ensure_locations(conn: sa.Connection, names: Iterable[str]) -> dict[str, int]:
    wanted = set(names)
    rows = conn.execute(
        sa.select(locations_t.c.id, locations_t.c.name).where(locations_t.c.name.in_(wanted))
    )
    known = {name: lid for lid, name in rows}
    missing = wanted - set(known)
    if missing:
        _insert_ignore(conn, locations_t, [{"name": n} for n in sorted(missing)])
        return ensure_locations(conn, wanted)
    return known


def sync_catalog(
    store: Store,
    entries: Iterable[CatalogEntry],
    *,
    integrations: Mapping[str, Mapping[str, Any]] | None = None,
    retire_missing: bool = True,
    now_ms_: int | None = None,
) -> dict[str, int]:
    """Upsert the configured integrations and probes; returns {"integration/probe": probe_id}.

    `integrations` optionally gives each integration's `description` and `tags`. `meta` (kept on
    the probe row, e.g. interval and step names) must hold no secrets. With `retire_missing`,
    active probes (and integrations) absent from `entries` get `retired_ms` set.
    """
    ts = now_ms_ if now_ms_ is not None else now_ms()
    items = list(entries)
    info = integrations or {}
    with store.write() as conn:
        ids = ensure_probes(conn, {(i, p): k for i, p, k, _ in items}, ts)
        integ_ids = ensure_integrations(conn, {i for i, *_ in items} | set(info), ts)
        for name, iid in integ_ids.items():
            values: dict[str, Any] = {"retired_ms": None}
            if name in info:
                values["description"] = info[name].get("description")
                values["tags"] = list(info[name].get("tags") or [])
            conn.execute(integrations_t.update().where(integrations_t.c.id == iid).values(values))
        for integ, probe, kind, meta in items:
            conn.execute(
                probes_t.update()
                .where(probes_t.c.id == ids[probe_key(integ, probe)])
                .values(kind=kind, meta=dict(meta), retired_ms=None)
            )
        if retire_missing:
            active = list(ids.values()) or [-1]
            conn.execute(
                probes_t.update()
                .where(probes_t.c.retired_ms.is_(None), probes_t.c.id.not_in(active))
                .values(retired_ms=ts)
            )
            conn.execute(
                integrations_t.update()
                .where(
                    integrations_t.c.retired_ms.is_(None),
                    integrations_t.c.id.not_in(list(integ_ids.values()) or [-1]),
                )
                .values(retired_ms=ts)
            )
    return ids
