"""Overview: one row per integration, worst first, with the state counts on top."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import data, frame, model
from dashboard.states import DEGRADED, DISPLAY_STATES, FAILING, FIRING, OK, PENDING, SILENCED
from dashboard.ui import fmt_age, fmt_ms, fmt_time, state_text

ctx = frame.context()
st.title("Overview")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None
URL = ctx.url

LOCATIONS = sorted({x.location for x in data.locations(URL)})
f1, f2, f3, *f4 = st.columns(4 if len(LOCATIONS) > 1 else 3)
name_filter = f1.text_input("Filter by name", key="ov_name", placeholder="integration name…")
tag_options = sorted({t for i in (ctx.config.integrations if ctx.config else []) for t in i.tags})
tag_filter = f2.multiselect("Tags", tag_options, key="ov_tags")
state_filter = f3.multiselect("State", list(DISPLAY_STATES), key="ov_states")
location = f4[0].selectbox("Location", LOCATIONS, key="ov_location", index=None,
                           placeholder="every location") if f4 else None


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    tr = ctx.time_range()
    now = min(ctx.now_ms(), tr.end_ms) if tr.preset == "custom" else tr.end_ms
    snapshot = data.overview(URL, tr.start_ms, tr.end_ms, now, range_key=_preset(tr.preset))
    rows = model.overview_rows(snapshot.integrations, snapshot.alerts)
    if not rows:
        st.info("**No integrations yet.** The database has no probes; they appear once "
                "`seamwatch serve` has started with your config.")
        return
    counts = model.state_counts(rows)
    cols = st.columns(5)
    cols[0].metric("Firing", counts[FIRING] + counts[FAILING], border=True,
                   help="probes whose alert is firing (or failing with no alert state)")
    cols[1].metric("Pending", counts[PENDING], border=True)
    cols[2].metric("Degraded", counts[DEGRADED], border=True)
    cols[3].metric("Silenced", counts[SILENCED], border=True)
    cols[4].metric("OK", counts[OK], border=True)
    shown = model.filter_rows(rows, name=name_filter, tags=tag_filter, states=state_filter)
    seen = model.at_location(data.locations(URL), location) if location else None
    if seen is not None:
        shown = [r for r in shown if r.name in seen]
    st.caption(f"{len(shown)} of {len(rows)} integrations · latency over the {tr.label()} · "
               f"states and numbers as of {fmt_time(snapshot.computed_ms, ctx.tz, seconds=True)}")
    if not shown:
        st.info("No integration matches these filters.")
        return
    st.dataframe(_table(shown, now, tr.to_param(), location, seen), hide_index=True,
                 width="stretch", height=min(38 * len(shown) + 40, 720), column_config={
        "Integration": st.column_config.TextColumn(width="medium"),
        "Open": st.column_config.LinkColumn(display_text="details", width="small"),
        "Uptime 24h": st.column_config.NumberColumn(format="%.2f%%"),
        "Uptime 7d": st.column_config.NumberColumn(format="%.2f%%"),
        "Uptime 30d": st.column_config.NumberColumn(format="%.2f%%"),
        "Latency": st.column_config.LineChartColumn(help="mean latency over the range"),
    })


def _preset(preset: str) -> str | None:
    return None if preset == "custom" else preset


def _table(rows: list[model.OverviewRow], now: int, range_param: str, location: str | None,
           seen: dict[str, model.AtLocation] | None) -> pd.DataFrame:
    records = []
    for r in rows:
        integ = r.integration
        last = integ.last_failure
        failure = "—"
        if last is not None:
            failure = f"{last.last_failure_category or '?'} ({last.probe}) " \
                      f"{fmt_age(last.last_failure_ms, now)}"
        records.append({
            "State": state_text(r.state),
            "Integration": integ.name,
            "Open": "/integration?" + urlencode({"integration": integ.name,
                                                 "range": range_param}),
            "Uptime 24h": integ.uptime["24h"].pct,
            "Uptime 7d": integ.uptime["7d"].pct,
            "Uptime 30d": integ.uptime["30d"].pct,
            "p50": fmt_ms(integ.p50_ms),
            "p95": fmt_ms(integ.p95_ms),
            "Latency": [round(v, 1) for _, v in integ.spark],
            "Last failure": failure,
            "Probes": len(r.probe_states),
            "Tags": ", ".join(integ.tags),
        })
        if location and seen is not None:
            records[-1][f"At {location}"] = state_text(seen[integ.name].state)
            uptime = seen[integ.name].uptime_24h
            records[-1][f"Uptime 24h at {location}"] = (
                "" if uptime is None else f"{uptime:.2f}%")
    return pd.DataFrame.from_records(records)


panel()
