"""Cached data access for the SLO page (`st.cache_data`, short TTL, through `dashboard.data`'s
read-only store): each SLO's status, and the hourly counts of its burn-down."""

from __future__ import annotations

import streamlit as st

from alerts.settings import Settings, SloTarget
from alerts.slo_status import SloStatus, slo_statuses
from dashboard import data
from storage.reads.slo import Count, SloEvent, hourly_counts, probe_ids, slo_events

TTL_S = data.TTL_S


@st.cache_data(ttl=TTL_S, show_spinner=False)
def statuses(url: str, now_ms: int, key: str, _settings: Settings) -> list[SloStatus]:
    """Every SLO's status; `key` stands for `_settings` in the cache key (the SLOs and the
    maintenance windows, as text)."""
    store = data.store(url)
    return [] if store is None else slo_statuses(store, _settings, now_ms)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def burn_down(url: str, target: SloTarget, now_ms: int) -> list[tuple[int, Count]]:
    store = data.store(url)
    if store is None:
        return []
    ids = probe_ids(store)
    pids = [ids[(target.integration, p)] for p in target.probes if (target.integration, p) in ids]
    return hourly_counts(store, pids, now_ms - int(target.spec.window * 1000), now_ms)


@st.cache_data(ttl=TTL_S, show_spinner=False)
def events(url: str, target: str, start_ms: int) -> list[SloEvent]:
    store = data.store(url)
    return [] if store is None else slo_events(store, target, start_ms)
