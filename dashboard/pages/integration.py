"""Integration (and probe): state, uptime, latency percentiles, step and phase breakdowns, error
categories, alert-state timeline, rate-limit headroom, credential/cert lifetimes, recent runs.

Deep link: `?integration=NAME&probe=NAME&range=24h` (the alert emails link here)."""

from __future__ import annotations

import streamlit as st

from dashboard import data, drift, frame, model, panels
from dashboard.states import UNKNOWN
from dashboard.timerange import CUSTOM, TimeRange
from dashboard.ui import empty_state, fmt_time, run_text, state_badge

ctx = frame.context()
if frame.no_database(ctx):
    st.title("Integration")
    st.stop()
assert ctx.url is not None
URL = ctx.url


def _rows(tr: TimeRange) -> tuple[dict[str, model.OverviewRow], int]:
    """The integrations' rows (states and numbers from one snapshot, dashboard/data.py) and
    when that snapshot was read."""
    snapshot = data.overview(URL, tr.start_ms, tr.end_ms, tr.end_ms,
                             range_key=None if tr.preset == CUSTOM else tr.preset)
    rows = {r.name: r for r in model.overview_rows(snapshot.integrations, snapshot.alerts,
                                                   include_retired=True)}
    return rows, snapshot.computed_ms


rows, _ = _rows(ctx.time_range())
if not rows:
    st.title("Integration")
    empty_state("No integrations yet.", "They appear once `seamwatch serve` (or `seamwatch once`)"
                " has run with your config.")
    st.stop()

names = sorted(rows, key=lambda n: (rows[n].integration.retired_ms is not None, n))
params = (st.query_params.get("integration"), st.query_params.get("probe"))
if st.session_state.get("ig_applied") != params:
    st.session_state["ig_applied"] = params
    if params[0] in rows:
        st.session_state["ig_integration"] = params[0]
    elif params[0]:
        st.warning(f"There is no integration named {frame.literal(params[0])} in the database "
                   "(renamed, or never run?). Showing another one.")
    st.session_state.pop("ig_probe", None)

left, right = st.columns(2)
name = left.selectbox(
    "Integration", names, key="ig_integration",
    format_func=lambda n: n + (" (removed from config)" if rows[n].integration.retired_ms
                               else ""),
)
row = rows[name]
integ = row.integration
probe_names = [p.probe for p in integ.probes]
if "ig_probe" not in st.session_state or st.session_state["ig_probe"] not in probe_names:
    wanted = params[1] if params[0] == name else None
    if wanted and wanted not in probe_names:
        st.warning(f"**{name}** has no probe named {frame.literal(wanted)}.")
        wanted = None
    st.session_state["ig_probe"] = wanted or model.default_probe(integ.probes, row.probe_states)
probe_name = right.selectbox(
    "Probe", probe_names, key="ig_probe",
    format_func=lambda p: f"{p} — alert state {row.probe_states.get(p, UNKNOWN).upper()}",
)
probe = next(p for p in integ.probes if p.probe == probe_name)
st.query_params["integration"] = name
st.query_params["probe"] = probe_name
st.session_state["ig_applied"] = (name, probe_name)

head, badge = st.columns([5, 1], vertical_alignment="center")
head.title(name)
with badge:
    state_badge(row.state, help="alert state: the worst of the integration's probes'")
if integ.description:
    st.caption(integ.description + ("  ·  tags: " + ", ".join(integ.tags) if integ.tags else ""))
if integ.retired_ms is not None:
    st.warning(f"**{name}** was removed from the config on {fmt_time(integ.retired_ms, ctx.tz)};"
               " its recorded history is shown.")
elif probe.retired_ms is not None:
    st.warning(f"Probe **{probe_name}** was removed from the config on "
               f"{fmt_time(probe.retired_ms, ctx.tz)}; its recorded history is shown.")
if probe.last_run_ms is None:
    empty_state(f"{probe_name} has no runs yet:", "its first result appears after its first "
                "scheduled run.")


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    tr = ctx.time_range()
    fresh, computed_ms = _rows(tr)
    current = fresh.get(name, row)
    fresh_probe = next((p for p in current.integration.probes if p.probe == probe_name), probe)
    panels.summary(current.integration, current.probe_states, tr, ctx.tz)
    panels.by_location(ctx, current.integration)
    st.caption("States, uptime and percentiles as of "
               f"{fmt_time(computed_ms, ctx.tz, seconds=True)}")
    st.subheader(f"{probe_name}")
    st.markdown(f"Last run: **{run_text(fresh_probe.last_status)}**")
    state_badge(current.probe_states.get(probe_name))
    panels.probe_charts(ctx, current.integration, fresh_probe, tr)
    drift.section(URL, name, probe_name, ctx.tz)
    panels.state_timeline(ctx, current.integration, current.probe_states, tr)
    panels.recent_runs(ctx, current.integration, fresh_probe)


panel()
