"""Overview: one row per integration, worst alert state first, with its last run beside it, and
on top the probes counted per alert state and the probes whose last run failed
(dashboard/states.py: two columns, two vocabularies)."""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from dashboard import data, frame, model
from dashboard.states import (
    ALERT_STATE_HELP,
    ALERT_STATES,
    FAILED,
    LAST_RUN_HELP,
    RUN_STATUSES,
    UNKNOWN,
)
from dashboard.ui import empty_state, fmt_age, fmt_ms, fmt_time, run_text, state_text

ctx = frame.context()
st.title("Overview")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None
URL = ctx.url

# pills, not multiselects: a click filters, and they draw at a fraction of the cost on a cold
# page (docs/architecture.md, "Performance targets")
LOCATIONS = data.location_names(URL)
f1, f2 = st.columns([1, 2])
name_filter = f1.text_input("Filter by name", key="ov_name", placeholder="integration name…")
tag_options = sorted({t for i in (ctx.config.integrations if ctx.config else []) for t in i.tags})
tag_filter = (f2.pills("Tags", tag_options, key="ov_tags", selection_mode="multi") or []
              if tag_options else [])
f3, f4, *f5 = st.columns([3, 2, 2] if len(LOCATIONS) > 1 else [3, 2])
state_filter = f3.pills("Alert state", list(ALERT_STATES), key="ov_states",
                        selection_mode="multi", help=ALERT_STATE_HELP) or []
run_filter = f4.pills("Last run", list(RUN_STATUSES), key="ov_runs", selection_mode="multi",
                      help=LAST_RUN_HELP) or []
location = f5[0].pills("Location", LOCATIONS, key="ov_location",
                       help="show the integrations as this runner location sees them") if f5 \
    else None


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    tr = ctx.time_range()
    now = min(ctx.now_ms(), tr.end_ms) if tr.preset == "custom" else tr.end_ms
    snapshot = data.overview(URL, tr.start_ms, tr.end_ms, now, range_key=_preset(tr.preset))
    rows = model.overview_rows(snapshot.integrations, snapshot.alerts)
    if not rows:
        empty_state("No integrations yet.", "The database has no probes; they appear once "
                    "`seamwatch serve` (or `seamwatch once`) has run with your config.")
        return
    _cards(rows)
    shown = model.filter_rows(rows, name=name_filter, tags=tag_filter, states=state_filter,
                              last_runs=run_filter)
    seen = model.at_location(data.locations(URL), location) if location else None
    if seen is not None:
        shown = [r for r in shown if r.name in seen]
    st.caption(f"{len(shown)} of {len(rows)} integrations · latency over the {tr.label()} · "
               f"states and numbers as of {fmt_time(snapshot.computed_ms, ctx.tz, seconds=True)}")
    if not shown:
        empty_state("No integration matches these filters.")
        return
    table = _table(shown, now, tr.to_param(), location, seen)
    st.dataframe(table, hide_index=True,
                 width="stretch", height=min(38 * len(shown) + 40, 720), column_config={
        "Alert state": st.column_config.TextColumn(help=ALERT_STATE_HELP),
        "Last run": st.column_config.TextColumn(help=LAST_RUN_HELP + " (the worst of the "
                                                "integration's probes)"),
        "Integration": st.column_config.TextColumn(width="medium"),
        "Open": st.column_config.LinkColumn(display_text="details", width="small"),
        "Uptime 24h": st.column_config.NumberColumn(format="%.2f%%"),
        "Uptime 7d": st.column_config.NumberColumn(format="%.2f%%"),
        "Uptime 30d": st.column_config.NumberColumn(format="%.2f%%"),
        "p95": st.column_config.ProgressColumn(
            format="%.0f ms", min_value=0, max_value=_top(table["p95"]),
            help="p95 latency over the range; the bar is scaled to the slowest row shown"),
        "Latency": st.column_config.LineChartColumn(
            width="medium", y_min=0,
            help="mean latency per bucket over the range, from 0 (bottom) to 'Line max' (top)"),
        "Line max": st.column_config.TextColumn(
            help="the top of the latency line: its highest bucket's mean latency"),
    })


def _cards(rows: list[model.OverviewRow]) -> None:
    """Probes per alert state (the same words as the Alerts page), then probes per last run:
    a database written only by `seamwatch once` shows them unknown, with failed last runs."""
    states = model.state_counts(rows)
    runs = model.run_counts(rows)
    cols = st.columns([1] * len(ALERT_STATES) + [1.5])
    for col, state in zip(cols, ALERT_STATES, strict=False):
        col.metric(state.upper() if state == "ok" else state.capitalize(), states[state],
                   border=True, help=f"probes whose alert state is {state}"
                   + (": the alert engine has not evaluated them" if state == UNKNOWN else ""))
    cols[-1].metric("Last run failed", runs[FAILED], border=True,
                    help="probes whose newest run failed (alert state aside)")


def _top(values: pd.Series) -> float:
    top = values.max()
    return float(top) if pd.notna(top) and top > 0 else 1.0


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
        spark = [round(v, 1) for _, v in integ.spark]
        records.append({
            "Alert state": state_text(r.state),
            "Integration": integ.name,
            "Open": "/integration?" + urlencode({"integration": integ.name,
                                                 "range": range_param}),
            "Last run": run_text(r.last_run, failed=r.failed_probes, of=len(r.last_runs)),
            "Latency": spark,
            "Line max": fmt_ms(max(spark)) if spark else "—",
            "p95": integ.p95_ms,
            "p50": fmt_ms(integ.p50_ms),
            "Uptime 24h": integ.uptime["24h"].pct,
            "Uptime 7d": integ.uptime["7d"].pct,
            "Uptime 30d": integ.uptime["30d"].pct,
            "Last failure": failure,
            "Probes": len(r.probe_states),
            "Tags": ", ".join(integ.tags),
        })
        if location and seen is not None:
            records[-1][f"Last run at {location}"] = run_text(seen[integ.name].last_run)
            uptime = seen[integ.name].uptime_24h
            records[-1][f"Uptime 24h at {location}"] = (
                "" if uptime is None else f"{uptime:.2f}%")
    return pd.DataFrame.from_records(records)


panel()
