"""The probe page's "Response shape" section: each step's learned baseline and the drift seen
since, as a readable diff of types and keys (never values). Read-only: accepting or resetting
is `seamwatch baseline accept|reset`. Data from storage/reads/drift.py."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.ui import fmt_time
from probes.drift.diff import example_diff
from probes.drift.tracker import DriftEvent
from storage.reads.drift import ProbeDrift, probe_drift

LEVEL_ICON = {"breaking": "🔴", "warning": "🟠", "info": "🔵"}


@st.cache_data(ttl=data.TTL_S, show_spinner=False)
def _read(url: str, integration: str, probe: str) -> ProbeDrift:
    store = data.store(url)
    return probe_drift(store, integration, probe) if store else ProbeDrift([], [])


def event_title(event: DriftEvent, tz: str) -> str:
    when = fmt_time(event.at_ms, tz, seconds=True)
    if event.kind != "drift":
        return f"{when} · step {event.step}: baseline {event.kind}" + (
            f" ({event.new})" if event.new else "")
    icon = LEVEL_ICON.get(event.level or "", "")
    return (f"{icon} {when} · step {event.step} · {event.level} · {event.rule} at "
            f"{event.path}: was {event.old}, now {event.new}")


def section(url: str, integration: str, probe: str, tz: str) -> None:
    found = _read(url, integration, probe)
    if not found.baselines:
        return
    st.subheader("Response shape")
    for b in found.baselines:
        state = (f"frozen {fmt_time(b.frozen_ms, tz)}" if b.frozen
                 else f"learning ({b.samples} runs so far)")
        st.caption(f"step **{b.step}**: baseline {state}, generation {b.generation}"
                   + (" · a drifted shape awaits `seamwatch baseline accept`"
                      if b.to_accept else ""))
    open_events = found.open_events()
    if not open_events:
        st.caption("No drift from the learned shapes.")
    for event in open_events:
        with st.expander(event_title(event, tz), expanded=event.level == "breaking"):
            st.code("\n".join(example_diff(event.example)) or "(no example)", language="diff")
    history = [e for e in found.events if e.kind != "drift"]
    if history:
        st.caption("History: " + "; ".join(event_title(e, tz) for e in history[:5]))
