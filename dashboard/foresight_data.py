"""Cached data access for the Expiries & quotas page (`st.cache_data`, short TTL, through
`dashboard.data`'s read-only store)."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from storage.reads.expiries import ExpiryView, list_expiries
from storage.reads.quota import QuotaView, quotas

TTL_S = data.TTL_S


@st.cache_data(ttl=TTL_S, show_spinner=False)
def expiries(url: str, integrations: tuple[str, ...]) -> list[ExpiryView]:
    store = data.store(url)
    return [] if store is None else list_expiries(store, list(integrations))


@st.cache_data(ttl=TTL_S, show_spinner=False)
def quota_views(url: str, start_ms: int, end_ms: int,
                integrations: tuple[str, ...]) -> list[QuotaView]:
    store = data.store(url)
    return [] if store is None else quotas(store, start_ms, end_ms, list(integrations))
