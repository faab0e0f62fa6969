"""Runners: every `serve` process that registered in the database (location, host, version,
started, last heartbeat, probes owned), a silent one flagged (docs/runners.md)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, frame
from dashboard.ui import fmt_time

ctx = frame.context()
st.title("Runners")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None
URL = ctx.url
LEASE_S = ctx.config.runner.lease if ctx.config else 30.0


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    rows = data.runners(URL, LEASE_S)
    if not rows:
        st.info("No runner has registered yet: each `seamwatch serve` does when it starts.")
        return
    running = [r for r in rows if r.state == "running"]
    silent = [r for r in rows if r.state == "silent"]
    cols = st.columns(3)
    cols[0].metric("Running", len(running), border=True)
    cols[1].metric("Silent", len(silent), border=True,
                   help=f"no heartbeat for over the lease ({LEASE_S:g}s): stopped or cut off")
    cols[2].metric("Locations", len({r.location for r in running}), border=True)
    for r in silent:
        st.error(f"Runner **{r.id}** ({r.location}, {r.host}) has been silent for "
                 f"{r.heartbeat_age_s:.0f}s; its probes run on the other runners of "
                 f"{r.location}, if any.")
    st.dataframe(pd.DataFrame.from_records([{
        "State": r.state.upper(),
        "Location": r.location,
        "Runner": r.id,
        "Host": f"{r.host}:{r.pid}",
        "Version": r.version,
        "Started": fmt_time(int(r.started_at.timestamp() * 1000), ctx.tz, seconds=True),
        "Last heartbeat": f"{r.heartbeat_age_s:.0f}s ago",
        "Probes": f"{r.probes_owned} of {r.probes_total}",
    } for r in rows]), hide_index=True, width="stretch")


panel()
