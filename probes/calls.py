"""Calling a `python` probe's function (probes/kinds/python.py): finding it (`resolve_callable`,
the config's folder searched after the installed packages), what it receives (`ProbeContext`)
and running it.

The function may be async (awaited on seamwatch's event loop: it must not block) or sync (run in
a dedicated thread pool, apart from the loop's default executor, so a hung SDK call cannot starve
DNS lookups). The run's timeout still applies, but a sync function cannot be interrupted: it
keeps its thread until it returns, so give the SDK its own timeout (`ctx.timeout_s`).

It passes by returning (the value is ignored) and fails by raising `probes.ProbeFailure`.
Other exceptions are classified like transport errors (refused, timeout, DNS…), else
`internal`/`python_exception` with the exception type, message and where it was raised.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import importlib
import inspect
import logging
import re
import sys
import traceback
from collections.abc import Callable, Coroutine, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx

from core.redact import Redactor
from probes.classify import classify_exception
from probes.credentials import AuthError
from probes.failures import ProbeFailure
from probes.result import Category, Failure
from probes.runtime import IntegrationRuntime

__all__ = ["CallableError", "ProbeContext", "ProbeFailure", "call", "resolve_callable"]

MAX_THREADS = 32
T = TypeVar("T")

_executor: ThreadPoolExecutor | None = None


class CallableError(Exception):
    """`callable:` cannot be used: not importable, no such attribute, or not callable."""


def add_search_path(folder: Path) -> None:
    """Let modules beside the config be imported (after installed packages, so a file named
    like a standard module cannot shadow it)."""
    entry = str(folder.absolute())
    if entry not in sys.path:
        sys.path.append(entry)


def resolve_callable(target: str, base_dir: Path | None = None) -> Callable[..., Any]:
    if base_dir is not None:
        add_search_path(base_dir)
    module_name, _, attribute = target.partition(":")
    try:
        found: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise CallableError(
                f"no module named `{exc.name}` (looked in the installed packages and beside "
                "the config file)"
            ) from None
        raise CallableError(f"importing `{module_name}` failed: {_describe(exc)}") from None
    except Exception as exc:  # any error raised by the module's own code
        raise CallableError(f"importing `{module_name}` failed: {_describe(exc)}") from None
    path = module_name
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise CallableError(f"`{path}` has no attribute `{part}`")
        found = getattr(found, part)
        path = f"{path}.{part}" if path != module_name else f"{module_name}:{part}"
    if not callable(found):
        raise CallableError(f"`{target}` is not callable (it is {type(found).__name__})")
    return found  # type: ignore[no-any-return]


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The probe function's logger: every message is formatted, then redacted."""

    def __init__(self, logger: logging.Logger, redactor: Redactor) -> None:
        super().__init__(logger, {})
        self.redactor = redactor

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.isEnabledFor(level):
            text = str(msg) % args if args else str(msg)
            kwargs.setdefault("stacklevel", 3)
            self.logger.log(level, self.redactor.redact(text) or "", **kwargs)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]
                ) -> tuple[Any, MutableMapping[str, Any]]:
        return msg, kwargs


class ProbeContext:
    """What a probe function receives as its first argument."""

    def __init__(self, rt: IntegrationRuntime, probe: str, timeout_s: float,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.integration: str = rt.spec.name
        self.probe: str = probe
        self.base_url: str | None = rt.spec.base_url
        self.timeout_s: float = timeout_s
        self.client: httpx.AsyncClient = rt.client  # the integration's client (TLS, headers)
        self.logger: logging.LoggerAdapter = _RedactingLogger(  # type: ignore[type-arg]
            logging.getLogger(f"seamwatch.probe.{rt.spec.name}.{probe}"), rt.redactor)
        self._rt = rt
        self._loop = loop

    async def credential_headers(self) -> dict[str, str]:
        """Headers carrying the integration's current credential ({} without `auth:`).
        A failure to obtain one fails the run with category `auth`."""
        if self._rt.credentials is None:
            return {}
        return dict((await self._rt.credentials.current(self._rt.client)).headers)

    async def credential_params(self) -> dict[str, str]:
        """Query parameters carrying the credential (an `api_key` with `query:`)."""
        if self._rt.credentials is None:
            return {}
        return dict((await self._rt.credentials.current(self._rt.client)).params)

    def wait(self, awaitable: Coroutine[Any, Any, T]) -> T:
        """From a sync probe function: run one of the async helpers on seamwatch's loop,
        e.g. `headers = ctx.wait(ctx.credential_headers())`. Async functions `await` instead."""
        try:
            on_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            awaitable.close()
            raise RuntimeError("ctx.wait() is for sync probe functions; use `await` here")
        return asyncio.run_coroutine_threadsafe(awaitable, self._loop).result()


def _pool() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="seamwatch-python-probe")
    return _executor


def _is_async(function: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None))  # noqa: B004 - an object with an async __call__


async def _call(function: Callable[..., Any], ctx: ProbeContext, args: dict[str, Any]) -> Any:
    if _is_async(function):
        return await function(ctx, **args)
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, function, ctx, **args)
    result = await loop.run_in_executor(_pool(), call)
    if inspect.isawaitable(result):
        result = await result
    return result


_REASON = re.compile(r"[^a-z0-9_]+")


def _declared(exc: ProbeFailure) -> Failure:
    reason = _REASON.sub("_", str(exc.reason).lower()).strip("_")[:64] or "probe_failure"
    try:
        category = Category(str(exc.category))
    except ValueError:
        return Failure(Category.INTERNAL, "invalid_category",
                       f"ProbeFailure with unknown category {str(exc.category)!r} "
                       f"(reason {reason}): {exc.message}")
    return Failure(category, reason, str(exc.message))


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    last = frames[-1]
    return f" (at {Path(last.filename).name}:{last.lineno})"


def _unexpected(exc: Exception) -> Failure:
    if isinstance(exc, TimeoutError):
        return Failure(Category.TIMEOUT, "python_timeout",
                       f"probe function timed out: {_describe(exc)}{_where(exc)}")
    failure = classify_exception(exc)
    if failure.category is Category.INTERNAL:
        return Failure(Category.INTERNAL, "python_exception",
                       f"probe function raised {_describe(exc)}{_where(exc)}")
    return failure


async def call(rt: IntegrationRuntime, probe: str, target: str, args: dict[str, Any],
               timeout_s: float) -> Failure | None:
    """Resolve `target` (`package.module:function`) and call it with a fresh `ProbeContext` and
    `args`: None when it returns, else the failure (not yet redacted)."""
    try:
        function = resolve_callable(target, rt.base_dir)
    except CallableError as exc:
        return Failure(Category.CONFIG, "callable_unavailable", f"{target}: {exc}")
    try:
        await _call(function, ProbeContext(rt, probe, timeout_s, asyncio.get_running_loop()), args)
    except ProbeFailure as exc:
        return _declared(exc)
    except AuthError as exc:
        return exc.failure
    except Exception as exc:
        return _unexpected(exc)
    return None
