"""Alerts: what is firing, pending, degraded or silenced now; incidents in the range with start,
end, duration and cause; mean time to recovery per integration; the transition log."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import data, frame
from dashboard.states import ALERTING_STATES, OK, severity
from dashboard.ui import empty_state, fmt_duration, fmt_time, state_text
from storage.reads.alert_history import incidents, mttr_by_integration

ctx = frame.context()
st.title("Alerts")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None
URL = ctx.url
only = st.text_input("Filter by integration or probe", key="al_filter",
                     placeholder="name…").strip().lower()


def _match(integration: str, probe: str) -> bool:
    return not only or only in integration.lower() or only in probe.lower()


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    tr = ctx.time_range()
    now = ctx.now_ms()
    states = [a for a in data.alert_states(URL) if _match(a.integration, a.probe)]
    active = sorted((a for a in states if a.state != OK),
                    key=lambda a: (severity(a.state), a.integration, a.probe))
    cols = st.columns(4)
    for col, state in zip(cols, ALERTING_STATES, strict=True):
        col.metric(state.capitalize(), sum(1 for a in states if a.state == state), border=True)
    st.subheader("Now")
    if not states:
        empty_state("No alert state recorded yet.", "The alert engine runs inside `seamwatch "
                    "serve` and records each probe's state as runs complete; `seamwatch once` "
                    "records runs only, so their alert state is unknown.")
    elif not active:
        st.success(f"All {len(states)} probes are OK.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "Alert state": state_text(a.state),
            "Integration": a.integration,
            "Probe": a.probe,
            "Since": fmt_time(a.since_ms, ctx.tz),
            "For": fmt_duration(now - a.since_ms) if a.since_ms else "—",
            "Cause": _cause(a.last_failure, a.silenced_by),
            "Failed runs in a row": a.fail_streak,
            "Open": "/integration?" + urlencode({"integration": a.integration,
                                                 "probe": a.probe}),
        } for a in active]), hide_index=True, width="stretch", column_config={
            "Open": st.column_config.LinkColumn(display_text="details", width="small")})

    events = [e for e in data.alert_events(URL, None, tr.end_ms)
              if _match(e.integration, e.probe)]
    found = [i for i in incidents(events) if (i.end_ms or now) >= tr.start_ms]
    st.subheader(f"Incidents ({tr.label()})")
    if not found:
        empty_state("No incidents in this time range.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "Integration": i.integration,
            "Probe": i.probe,
            "Started": fmt_time(i.start_ms, ctx.tz, seconds=True),
            "Ended": fmt_time(i.end_ms, ctx.tz, seconds=True) if i.end_ms else "ongoing",
            "Duration": fmt_duration(i.duration_ms(now)),
            "Cause": ctx.redact(i.cause),
        } for i in found]), hide_index=True, width="stretch")
    st.subheader("Mean time to recovery")
    mttr = mttr_by_integration(found)
    if not mttr:
        st.caption("No resolved incidents in this time range.")
    else:
        st.dataframe(pd.DataFrame.from_records([
            {"Integration": name, "MTTR": fmt_duration(mean), "Resolved incidents": n}
            for name, (mean, n) in mttr.items()
        ]), hide_index=True, width="content")
    in_range = [e for e in events if e.at_ms >= tr.start_ms]
    with st.expander(f"Transition log ({len(in_range)} in range)"):
        st.dataframe(pd.DataFrame.from_records([{
            "At": fmt_time(e.at_ms, ctx.tz, seconds=True), "Integration": e.integration,
            "Probe": e.probe, "From": e.from_state.upper(), "To": e.to_state.upper(),
            "Reason": ctx.redact(e.reason),
        } for e in reversed(in_range[-500:])]), hide_index=True, width="stretch")


def _cause(last_failure: dict[str, object], silenced_by: str | None) -> str:
    parts = []
    if silenced_by:
        parts.append(f"maintenance '{silenced_by}'")
    category, reason = last_failure.get("category"), last_failure.get("reason")
    if category or reason:
        parts.append(f"{category or '?'}: {reason or ''}".strip())
    elif last_failure.get("degraded_reason"):
        parts.append(str(last_failure["degraded_reason"]))
    return ctx.redact(" · ".join(parts)) or "—"


panel()
