"""Config checks of particular probe kinds that need more than the model: a `python` probe's
`callable` must import (the config's folder is on the module search path) and be callable, and
`heartbeat` probes need the listener that receives their heartbeats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from probes.kinds.python import CALLABLE_PATTERN
from seamwatch.configchecks import probes
from seamwatch.configmessages import Issue


def check_callables(data: Any, base_dir: Path) -> list[Issue]:
    from probes.calls import CallableError, resolve_callable

    issues: list[Issue] = []
    for ppath, probe, _ in probes(data):
        target = probe.get("callable")
        if probe.get("type") != "python" or not isinstance(target, str) \
                or not CALLABLE_PATTERN.match(target.strip()):
            continue  # the model reports a missing or malformed `callable`
        try:
            resolve_callable(target.strip(), base_dir)
        except CallableError as error:
            issues.append(Issue((*ppath, "callable"), str(error)))
    return issues


def check_heartbeat_listener(data: Any) -> list[Issue]:
    runner = data.get("runner") if isinstance(data, dict) else None
    if not (isinstance(runner, dict) and "listen" in runner and runner["listen"] is None):
        return []
    return [
        Issue((*ppath, "type"), "heartbeat probes need the listener that receives them; set "
              "`runner.listen` (for example 127.0.0.1:9465) instead of null")
        for ppath, probe, _ in probes(data)
        if probe.get("type") == "heartbeat" and probe.get("enabled") is not False
    ]


def check_kinds(data: Any, base_dir: Path) -> list[Issue]:
    return [*check_callables(data, base_dir), *check_heartbeat_listener(data)]
