"""Configuration: the loaded config with every secret masked, the schedule, and the error of
the file on disk when it does not validate (the last valid config stays in use)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.types import format_duration
from dashboard import data, frame
from dashboard.config_view import masked_config, schedule_rows

ctx = frame.context()
state = data.config_state()
st.title("Configuration")
st.caption(f"File: `{state.path}`")

if state.error is not None:
    st.error(
        "**The config file on disk does not validate.** "
        + ("The last valid config is shown and still in use until the file is fixed."
           if state.config else "There is no valid config to show.")
    )
    st.dataframe(pd.DataFrame.from_records([{
        "File": p.file, "Line": p.line or "", "Column": p.col or "", "Key": p.path,
        "Problem": ctx.redact(p.message),
    } for p in state.error.problems]), hide_index=True, width="stretch")

config = state.config
if config is None:
    st.stop()

probes = len(config.entries)
cols = st.columns(3)
cols[0].metric("Integrations", len(config.integrations), border=True)
cols[1].metric("Scheduled probes", probes, border=True)
cols[2].metric("Maintenance windows", len(config.maintenance), border=True)

st.subheader("Schedule")
st.dataframe(pd.DataFrame.from_records(schedule_rows(config)), hide_index=True, width="stretch")

if config.maintenance:
    st.subheader("Maintenance windows")
    st.dataframe(pd.DataFrame.from_records([{
        "Name": m.name, "Cron": m.cron, "Duration": format_duration(m.duration),
        "Time zone": m.timezone,
        "Integrations": ", ".join(m.integrations) if m.integrations else "all",
    } for m in config.maintenance]), hide_index=True, width="stretch")

st.subheader("Loaded config (secrets masked)")
st.json(masked_config(config, ctx.redactor), expanded=2)
