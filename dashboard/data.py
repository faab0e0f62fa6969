"""Cached data access for the pages: the config (reloaded when the file changes), one read-only
store per database URL (`st.cache_resource`) and the storage queries (`st.cache_data`, short TTL).
The overview is a snapshot: its numbers and the alert states read with them, with the time they
were read, served stale for at most STALE_LIMIT_S.

The dashboard never writes: the store is opened without migrations, and a database the scheduler
has not created yet is reported as empty instead of being created.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import make_url

from alerts.mailbox import MAILBOX_ENV, CaughtMessage, list_messages
from core.redact import Redactor
from dashboard.states import OK
from dashboard.timerange import parse_range
from seamwatch.config import Config, ConfigError, load_config, resolve_config_path
from storage.database import Store, open_store
from storage.reads import alert_history, analytics, probe_series
from storage.reads.locations import LocationStatus, location_status
from storage.reads.locations import location_names as location_names_of
from storage.reads.queries import RunRow, recent_runs
from storage.reads.runners import RunnerRow
from storage.reads.runners import runners as runner_rows

TTL_S = 10
# The oldest overview ever shown: within it a stale one is served while a fresh one is computed.
STALE_LIMIT_S = 60


@dataclass
class ConfigState:
    """The config as the dashboard sees it: the last valid one, and the error of the file on
    disk when it does not validate (then `config` is the previous valid one, or None)."""

    path: Path
    config: Config | None = None
    error: ConfigError | None = None
    signature: tuple[object, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock)


def _signature(path: Path) -> tuple[object, ...]:
    out: list[object] = []
    for p in (path, path.parent / ".env"):
        try:
            st_ = p.stat()
            out.append((st_.st_mtime_ns, st_.st_size, st_.st_ino))
        except OSError:
            out.append(None)
    return tuple(out)


@st.cache_resource(show_spinner=False)
def _config_holder(path: str) -> ConfigState:
    return ConfigState(Path(path))


def config_state() -> ConfigState:
    """Load (or reload, when the file or its .env changed) the config named by
    `$SEAMWATCH_CONFIG` (else ./seamwatch.yaml)."""
    holder = _config_holder(str(resolve_config_path(None).absolute()))
    with holder.lock:
        signature = _signature(holder.path)
        if signature != holder.signature or (holder.config is None and holder.error is None):
            try:
                holder.config = load_config(holder.path)
                holder.error = None
            except ConfigError as exc:
                holder.error = exc
            holder.signature = signature
    return holder


@st.cache_resource(show_spinner=False)
def redactor_for(secrets: frozenset[str]) -> Redactor:
    return Redactor(secrets)


def _sqlite_missing(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    return not Path(database).expanduser().exists()


@st.cache_resource(show_spinner=False)
def _open(url: str) -> Store:
    return open_store(url, migrate=False)


def store(url: str) -> Store | None:
    """The shared read-only store, or None when the database does not exist yet (a SQLite file
    is never created by the dashboard) or holds no seamwatch tables."""
    if _sqlite_missing(url):
        return None
    s = _open(url)
    return s if _has_schema(url) else None


def _has_schema(url: str) -> bool:
    return _has_table(url, "runs")


@dataclass(frozen=True)
class OverviewSnapshot:
    """The overview's numbers and the alert states read with them, and when (epoch ms): a page
    shows states and numbers of one moment, and says which."""

    integrations: list[analytics.IntegrationOverview]
    alerts: list[alert_history.AlertNow]
    computed_ms: int


@dataclass
class _Latest:
    """The newest overview for one (database, range) pair, refreshed in the background."""

    value: OverviewSnapshot | None = None
    computed_at: float = 0.0  # _monotonic() when `value` was read
    refreshing: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _latest_overviews() -> dict[tuple[str, str], _Latest]:
    return {}


_monotonic = time.monotonic  # the ages of cached overviews (tests move it)


def overview(url: str, start_ms: int, end_ms: int, now_ms: int, *,
             range_key: str | None = None) -> OverviewSnapshot:
    """The overview over [start_ms, end_ms) with the alert states of the same moment. With
    `range_key` (a preset such as "24h"), it is served stale-while-revalidate: a result younger
    than STALE_LIMIT_S is returned at once, and when it is older than TTL_S a background thread
    recomputes it (over 1,000 probes the query takes seconds on SQLite, so reloads and live
    refreshes never wait for it). An older result is never shown: the first load, and the first
    one after a quiet spell, compute it and wait."""
    if range_key is None:
        return _overview_exact(url, start_ms, end_ms, now_ms)
    slot = _latest_overviews().setdefault((url, range_key), _Latest())
    with slot.lock:
        value, age = slot.value, _monotonic() - slot.computed_at
        if value is not None and age > STALE_LIMIT_S:
            value = None
        stale = value is not None and age > TTL_S and not slot.refreshing
        if stale:
            slot.refreshing = True
    if value is None:
        started = _monotonic()
        result = _snapshot(store(url), start_ms, end_ms, now_ms)
        _keep(slot, result, started)
        return result
    if stale:
        span = end_ms - start_ms
        threading.Thread(target=_refresh, args=(slot, url, span), daemon=True,
                         name="seamwatch-overview-refresh").start()
    return value


def _keep(slot: _Latest, result: OverviewSnapshot, started: float) -> None:
    with slot.lock:
        if started >= slot.computed_at:  # a slower, older computation never wins
            slot.value, slot.computed_at = result, started


def _snapshot(s: Store | None, start_ms: int, end_ms: int, now_ms: int) -> OverviewSnapshot:
    computed_ms = int(time.time() * 1000)
    if s is None:
        return OverviewSnapshot([], [], computed_ms)
    return OverviewSnapshot(analytics.overview(s, start_ms, end_ms, now=now_ms),
                            alert_history.current_states(s), computed_ms)


def _refresh(slot: _Latest, url: str, span_ms: int) -> None:
    try:
        started = _monotonic()
        now = int(time.time() * 1000)
        # the page's first load found the database; the thread has no Streamlit context for
        # store()'s cached schema check
        _keep(slot, _snapshot(_open(url), now - span_ms, now, now), started)
    finally:
        with slot.lock:
            slot.refreshing = False


def prewarm(range_key: str) -> None:
    """Read the config and compute the overview of preset `range_key` now, in the server
    process before any page asks (dashboard/launch.py runs it beside the server's start): the
    first visitor within STALE_LIMIT_S gets it at once. Any failure is left to the page, which
    reports it."""
    try:
        config = config_state().config
        if config is None or store(config.storage_url) is None:
            return
        tr = parse_range(range_key, int(time.time() * 1000))
        overview(config.storage_url, tr.start_ms, tr.end_ms, tr.end_ms, range_key=range_key)
    except Exception:  # the page reports it when it runs the same code
        return


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _overview_exact(url: str, start_ms: int, end_ms: int, now_ms: int) -> OverviewSnapshot:
    return _snapshot(store(url), start_ms, end_ms, now_ms)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def series(url: str, probe_id: int, start_ms: int, end_ms: int,
           bucket_ms: int) -> probe_series.ProbeSeries:
    s = store(url)
    if s is None:
        return probe_series.ProbeSeries()
    return probe_series.probe_series(s, probe_id, start_ms, end_ms, bucket_ms)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def first_run(url: str, probe_id: int) -> int | None:
    s = store(url)
    return probe_series.first_run_ms(s, probe_id) if s else None


@st.cache_data(ttl=TTL_S, show_spinner=False)
def runs(url: str, integration: str, probe: str, limit: int = 50) -> list[RunRow]:
    s = store(url)
    return recent_runs(s, integration, probe, limit=limit) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def alert_states(url: str) -> list[alert_history.AlertNow]:
    s = store(url)
    return alert_history.current_states(s) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def alert_events(url: str, start_ms: int | None, end_ms: int | None,
                 integration: str | None = None,
                 probe: str | None = None) -> list[alert_history.AlertEvent]:
    s = store(url)
    return alert_history.events(s, start_ms, end_ms, integration, probe) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def state_before(url: str, integration: str, probe: str, at_ms: int) -> str:
    s = store(url)
    return alert_history.state_before(s, integration, probe, at_ms) if s else OK


@st.cache_data(ttl=TTL_S, show_spinner=False)
def outbox_counts(url: str) -> dict[str, int]:
    s = store(url)
    return alert_history.outbox_counts(s) if s else {}


@st.cache_data(ttl=TTL_S, show_spinner=False)
def channel_summaries(url: str) -> list[alert_history.ChannelSummary]:
    s = store(url)
    return alert_history.channel_summaries(s) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def outbox(url: str, limit: int = 200) -> list[alert_history.OutboxEmail]:
    s = store(url)
    return alert_history.outbox(s, limit) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def runners(url: str, lease_s: float) -> list[RunnerRow]:
    s = store(url)
    if s is None or not _has_table(url, "runners"):
        return []
    return runner_rows(s, lease_s)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def location_names(url: str) -> list[str]:
    s = store(url)
    return location_names_of(s) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def locations(url: str) -> list[LocationStatus]:
    """Each probe's latest run, p95 (1 h) and uptime (24 h) per location that ran it today."""
    s = store(url)
    return location_status(s) if s else []


@st.cache_data(ttl=TTL_S, show_spinner=False)
def _has_table(url: str, name: str) -> bool:
    with _open(url).engine.connect() as conn:
        return bool(sa.inspect(conn).has_table(name))


@st.cache_data(ttl=TTL_S, show_spinner=False)
def mailbox(folder: str, limit: int = 200) -> list[CaughtMessage]:
    return list_messages(folder, limit)


def mailbox_folder() -> str | None:
    folder = os.environ.get(MAILBOX_ENV, "").strip()
    return folder or None
