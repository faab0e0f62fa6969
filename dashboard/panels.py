"""Panels of the Integration page, drawn inside its live fragment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, figures
from dashboard.frame import Context
from dashboard.states import ALERT_STATE_HELP, LAST_RUN_HELP, UNKNOWN
from dashboard.timerange import TimeRange, format_bucket
from dashboard.ui import chart, empty_state, fmt_ms, fmt_pct, fmt_time, run_text, state_text
from storage.reads.alert_history import StateBand, state_bands
from storage.reads.analytics import IntegrationOverview, ProbeOverview


def summary(integ: IntegrationOverview, states: dict[str, str], tr: TimeRange, tz: str) -> None:
    cols = st.columns(5)
    for col, window in zip(cols, ("24h", "7d", "30d"), strict=False):
        col.metric(f"Uptime {window}", fmt_pct(integ.uptime[window].pct), border=True)
    cols[3].metric(f"p50 ({tr.preset})", fmt_ms(integ.p50_ms), border=True)
    cols[4].metric(f"p95 ({tr.preset})", fmt_ms(integ.p95_ms), border=True)
    rows = []
    for p in integ.probes:
        rows.append({
            "Probe": p.probe + (" (removed)" if p.retired_ms else ""),
            "Alert state": state_text(states.get(p.probe)),
            "Last run": run_text(p.last_status),
            "Kind": p.kind,
            "Uptime 24h": fmt_pct(p.uptime["24h"].pct),
            "Last run at": fmt_time(p.last_run_ms, tz, seconds=True),
            "Last latency": fmt_ms(p.last_latency_ms),
            "Last failure": (f"{p.last_failure_category or '?'}: {p.last_failure_reason or ''}"
                             if p.last_failure_ms else "—"),
        })
    st.dataframe(pd.DataFrame.from_records(rows), hide_index=True, width="stretch",
                 column_config={
                     "Alert state": st.column_config.TextColumn(help=ALERT_STATE_HELP),
                     "Last run": st.column_config.TextColumn(help=LAST_RUN_HELP)})


def probe_charts(ctx: Context, integ: IntegrationOverview, probe: ProbeOverview,
                 tr: TimeRange) -> None:
    assert ctx.url is not None
    s = data.series(ctx.url, probe.probe_id, tr.start_ms, tr.end_ms, tr.bucket_ms)
    st.caption(f"{tr.label()} · buckets of {format_bucket(tr.bucket_ms)} · times in {ctx.tz}")
    tz = ctx.tz
    chart(figures.latency_figure(s.latency, s.failed_runs, tr, tz), "ch_latency")
    left, right = st.columns(2)
    with left:
        chart(figures.stacked_area(s.steps, tr, tz, title="Time per step (ms)"), "ch_steps")
    with right:
        chart(figures.stacked_area(s.phases, tr, tz, title="Time per phase (ms)",
                                   empty="No time per phase in this time range"), "ch_phases")
    totals = figures.category_totals(s.categories)
    chart(figures.category_bars(s.categories, tr, tz), "ch_categories")
    if totals:
        st.caption("Failures in range: " + ", ".join(f"{c} {n}" for c, n in totals.most_common()))
    left, right = st.columns(2)
    threshold = _headroom_threshold(ctx, integ.name, probe.probe)
    with left:
        chart(figures.rate_limit_figure(s.rate_limit, tr, tz, threshold=threshold),
              "ch_ratelimit")
    with right:
        chart(figures.lifetime_figure(s.lifetimes, tr, tz), "ch_lifetime")


def _headroom_threshold(ctx: Context, integration: str, probe: str) -> float | None:
    if ctx.config is None:
        return None
    try:
        return ctx.config.entry(f"{integration}/{probe}").probe.alerts.min_rate_limit_headroom
    except KeyError:
        return None


def state_timeline(ctx: Context, integ: IntegrationOverview, states: dict[str, str],
                   tr: TimeRange) -> None:
    """Each probe's alert states over its known history: from its first run (or the range's
    start) to now (or the range's end); a probe the alert engine has no state for has no row."""
    assert ctx.url is not None
    transitions = data.alert_events(ctx.url, tr.start_ms, tr.end_ms, integ.name)
    bands: dict[str, list[StateBand]] = {}
    end = min(tr.end_ms, ctx.now_ms())
    for p in integ.probes:
        mine = [e for e in transitions if e.probe == p.probe]
        if not mine and states.get(p.probe, UNKNOWN) == UNKNOWN:
            continue
        first = data.first_run(ctx.url, p.probe_id)
        starts = [t for t in (first, mine[0].at_ms if mine else None) if t is not None]
        known_from = max(tr.start_ms, min(starts, default=end))
        if known_from >= end:
            continue
        initial = data.state_before(ctx.url, integ.name, p.probe, known_from)
        bands[p.probe] = state_bands(initial, mine, known_from, end)
    if not bands and any(p.last_run_ms for p in integ.probes):
        why = ("No alert state recorded: the alert engine runs in seamwatch serve "
               "(seamwatch once records runs only)")
    else:
        why = "No alert state recorded in this time range"
    chart(figures.state_timeline(bands, tr, ctx.tz, empty=why), "ch_states")


def recent_runs(ctx: Context, integ: IntegrationOverview, probe: ProbeOverview) -> None:
    assert ctx.url is not None
    runs = data.runs(ctx.url, integ.name, probe.probe, 50)
    st.subheader("Recent runs")
    if not runs:
        empty_state(f"{probe.probe} has no runs yet.",
                    "A probe's first result appears after its first scheduled run.")
        return
    st.dataframe(pd.DataFrame.from_records([{
        "Started": fmt_time(int(r.started_at.timestamp() * 1000), ctx.tz, seconds=True),
        "Run": run_text(r.status),
        "Latency": fmt_ms(r.latency_ms),
        "Attempts": r.attempts,
        "Category": r.category or "",
        "Reason": r.reason or r.degraded_reason or "",
        "Failed step": r.failed_step or "",
        "Message": ctx.redact(r.message)[:200],
    } for r in runs]), hide_index=True, width="stretch", height=280)
    for r in runs[:20]:
        when = fmt_time(int(r.started_at.timestamp() * 1000), ctx.tz, seconds=True)
        label = f"{when} · {run_text(r.status)} · {fmt_ms(r.latency_ms)}"
        if r.category:
            label += f" · {r.category}: {r.reason or ''}"
        with st.expander(label):
            if r.message:
                st.code(ctx.redact(r.message), language=None, wrap_lines=True)
            if r.degraded_reason:
                st.caption(f"Degraded: {ctx.redact(r.degraded_reason)}")
            st.dataframe(pd.DataFrame.from_records([{
                "#": s.idx + 1, "Step": s.name, "Step status": s.status,
                "HTTP": "" if s.http_status is None else str(s.http_status),
                "Latency": fmt_ms(s.latency_ms),
                "DNS": fmt_ms(s.dns_ms), "Connect": fmt_ms(s.connect_ms), "TLS": fmt_ms(s.tls_ms),
                "First byte": fmt_ms(s.ttfb_ms), "Transfer": fmt_ms(s.transfer_ms),
                "Rate limit": (f"{s.rl_remaining}/{s.rl_limit}"
                               if s.rl_limit is not None else ""),
                "Category": s.category or "", "Message": ctx.redact(s.message),
            } for s in r.steps]), hide_index=True, width="stretch")


def by_location(ctx: Context, integ: IntegrationOverview) -> None:
    """Each probe's latest result, p95 (1 h) and uptime (24 h) per location, when the
    integration is run from more than one."""
    assert ctx.url is not None
    if len(data.location_names(ctx.url)) < 2:
        return  # one location: nothing to compare (and no per-location query to pay for)
    rows = [x for x in data.locations(ctx.url) if x.integration == integ.name]
    if len({x.location for x in rows}) < 2:
        return
    st.subheader("By location")
    st.dataframe(pd.DataFrame.from_records([{
        "Probe": x.probe,
        "Location": x.location,
        "Last run at": fmt_time(int(x.last_started_at.timestamp() * 1000), ctx.tz,
                                seconds=True),
        "Last run": run_text(str(x.last_status)),
        "Category": x.last_category or "",
        "Last latency": fmt_ms(x.last_latency_ms),
        "p95 1h": fmt_ms(x.p95_latency_ms_1h),
        "Uptime 24h": fmt_pct(x.uptime_24h),
    } for x in rows]), hide_index=True, width="stretch")
