"""`seamwatch baseline list|show|accept|reset [INTEGRATION[/PROBE[/STEP]]]`: the learned
response shapes of HTTP steps (docs/architecture.md, "Drift"). `accept` merges the latest
drifted shape into a frozen baseline, `reset` makes it learn again; both are recorded in the
drift history and taken by a running `serve` within seconds. Exit codes: 0 done, 1 `accept`
found no drifted shape to accept, 2 invalid config or no baseline matches."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from probes.drift.baseline import BaselineRecord, StepKey
from probes.drift.diff import example_diff, shape_rows
from seamwatch.config import Config
from seamwatch.errors import UserError
from seamwatch.report import render_table
from storage import baselines
from storage.database import Store, open_store


class NoBaseline(UserError):
    exit_code = 2


class NothingToAccept(UserError):
    exit_code = 1


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _select(store: Store, selector: str | None) -> list[BaselineRecord]:
    if not selector:
        return baselines.all_baselines(store)
    parts = selector.split("/")
    if len(parts) > 3 or not all(parts):
        raise NoBaseline(f"{selector!r}: expected INTEGRATION[/PROBE[/STEP]]")
    found = baselines.select(store, *parts)  # type: ignore[arg-type]
    if not found:
        raise NoBaseline(f"no learned baseline matches {selector!r} (see `seamwatch baseline "
                         "list`; a step learns once its probe has run with a JSON response)")
    return found


def _learn_runs(config: Config) -> dict[tuple[str, str], int]:
    return {(e.integration.name, e.probe.name): e.probe.drift.learn_runs
            for e in config.entries if hasattr(e.probe, "drift")}


def _state(record: BaselineRecord, learn_runs: dict[tuple[str, str], int]) -> str:
    if record.frozen:
        return "frozen"
    wanted = learn_runs.get((record.integration, record.probe))
    return f"learning {record.samples}/{wanted}" if wanted else f"learning {record.samples}"


def _open_drift(store: Store, record: BaselineRecord) -> list[Any]:
    return [e for e in baselines.events(store, record.integration, record.probe,
                                        step=record.step, limit=200)
            if e.kind == "drift" and e.generation == record.generation]


def cmd_list(config: Config, store: Store, selector: str | None, as_json: bool) -> int:
    learn_runs = _learn_runs(config)
    records = _select(store, selector)
    rows = [(f"{r.integration}/{r.probe}/{r.step}", _state(r, learn_runs), r.generation,
             _when(r.frozen_ms), len(_open_drift(store, r)),
             "yes" if r.pending is not None else "") for r in records]
    if as_json:
        keys = ("step", "state", "generation", "frozen_at", "drift_events", "to_accept")
        print(json.dumps([dict(zip(keys, row, strict=True)) for row in rows], indent=2))
    else:
        print(render_table(["step", "state", "gen", "frozen at", "drift", "to accept"], rows)
              if rows else "no learned baselines yet")
    return 0


def cmd_show(config: Config, store: Store, selector: str | None, as_json: bool) -> int:
    learn_runs = _learn_runs(config)
    out: list[dict[str, Any]] = []
    for record in _select(store, selector):
        drift = _open_drift(store, record)
        out.append({
            "step": f"{record.integration}/{record.probe}/{record.step}",
            "state": _state(record, learn_runs), "generation": record.generation,
            "statuses": sorted(record.statuses), "media_types": sorted(record.media_types),
            "shape": [{"path": p, "types": t, "notes": n} for p, t, n in shape_rows(record)],
            "drift": [{"at": _when(e.at_ms), "rule": e.rule, "level": e.level, "path": e.path,
                       "old": e.old, "new": e.new, "diff": example_diff(e.example)}
                      for e in drift],
        })
    if as_json:
        print(json.dumps(out, indent=2))
        return 0
    for item in out:
        print(f"{item['step']}  ({item['state']}, generation {item['generation']}; "
              f"status {'|'.join(map(str, item['statuses']))}, "
              f"{'|'.join(item['media_types'])})")
        print(render_table(["path", "types", ""],
                           [(s["path"], s["types"], s["notes"]) for s in item["shape"]]))
        for event in item["drift"]:
            print(f"\n{event['level'].upper()} {event['rule']} at {event['path']} "
                  f"({event['at']}): was {event['old']}, now {event['new']}")
            print("\n".join(f"    {line}" for line in event["diff"]))
        print()
    return 0


def _change(store: Store, selector: str | None, accept: bool) -> int:
    if not selector:
        raise NoBaseline("name the baselines: INTEGRATION[/PROBE[/STEP]]")
    keys: list[StepKey] = [r.key for r in _select(store, selector)]
    done = baselines.accept(store, keys) if accept else baselines.reset(store, keys)
    verb = "accepted" if accept else "reset (learning again)"
    for key in done:
        print(f"{'/'.join(key)}: {verb}")
    if accept and not done:
        raise NothingToAccept(f"{selector}: no drifted shape to accept")
    return 0


def run_baseline(config: Config, action: str, selector: str | None, *,
                 as_json: bool = False) -> int:
    store = open_store(config.storage_url)
    try:
        if action == "list":
            return cmd_list(config, store, selector, as_json)
        if action == "show":
            return cmd_show(config, store, selector, as_json)
        return _change(store, selector, accept=action == "accept")
    finally:
        store.close()
