"""Panels of the Integration page, drawn inside its live fragment."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, figures
from dashboard.frame import Context
from dashboard.timerange import TimeRange, format_bucket
from dashboard.ui import fmt_ms, fmt_pct, fmt_time, state_text
from storage.reads.alert_history import state_bands
from storage.reads.analytics import IntegrationOverview, ProbeOverview

CHART = {"displaylogo": False, "modeBarButtonsToRemove": ["lasso2d", "select2d"]}


def summary(integ: IntegrationOverview, states: dict[str, str], tr: TimeRange, tz: str) -> None:
    cols = st.columns(5)
    for col, window in zip(cols, ("24h", "7d", "30d"), strict=False):
        col.metric(f"Uptime {window}", fmt_pct(integ.uptime[window].pct), border=True)
    cols[3].metric(f"p50 ({tr.preset})", fmt_ms(integ.p50_ms), border=True)
    cols[4].metric(f"p95 ({tr.preset})", fmt_ms(integ.p95_ms), border=True)
    rows = []
    for p in integ.probes:
        rows.append({
            "State": state_text(states.get(p.probe)),
            "Probe": p.probe + (" (removed)" if p.retired_ms else ""),
            "Kind": p.kind,
            "Uptime 24h": fmt_pct(p.uptime["24h"].pct),
            "Last run": fmt_time(p.last_run_ms, tz, seconds=True),
            "Last latency": fmt_ms(p.last_latency_ms),
            "Last failure": (f"{p.last_failure_category or '?'}: {p.last_failure_reason or ''}"
                             if p.last_failure_ms else "—"),
        })
    st.dataframe(pd.DataFrame.from_records(rows), hide_index=True, width="stretch")


def probe_charts(ctx: Context, integ: IntegrationOverview, probe: ProbeOverview,
                 tr: TimeRange) -> None:
    assert ctx.url is not None
    s = data.series(ctx.url, probe.probe_id, tr.start_ms, tr.end_ms, tr.bucket_ms)
    st.caption(f"{tr.label()} · buckets of {format_bucket(tr.bucket_ms)} · times in {ctx.tz}")
    if not s.latency:
        st.info(f"No runs of **{probe.probe}** in the {tr.label()}.")
    st.plotly_chart(figures.latency_figure(s.latency, s.failed_runs, ctx.tz),
                    config=CHART, key="ch_latency")
    left, right = st.columns(2)
    with left:
        st.plotly_chart(figures.stacked_area(s.steps, ctx.tz, title="Time per step (ms)"),
                        config=CHART, key="ch_steps")
    with right:
        st.plotly_chart(figures.stacked_area(s.phases, ctx.tz, title="Time per phase (ms)"),
                        config=CHART, key="ch_phases")
    totals = figures.category_totals(s.categories)
    st.plotly_chart(figures.category_bars(s.categories, ctx.tz, tr.bucket_ms),
                    config=CHART, key="ch_categories")
    if totals:
        st.caption("Failures in range: " + ", ".join(f"{c} {n}" for c, n in totals.most_common()))
    left, right = st.columns(2)
    threshold = _headroom_threshold(ctx, integ.name, probe.probe)
    with left:
        st.plotly_chart(figures.rate_limit_figure(s.rate_limit, ctx.tz, threshold=threshold),
                        config=CHART, key="ch_ratelimit")
    with right:
        st.plotly_chart(figures.lifetime_figure(s.lifetimes, ctx.tz), config=CHART,
                        key="ch_lifetime")


def _headroom_threshold(ctx: Context, integration: str, probe: str) -> float | None:
    if ctx.config is None:
        return None
    try:
        return ctx.config.entry(f"{integration}/{probe}").probe.alerts.min_rate_limit_headroom
    except KeyError:
        return None


def state_timeline(ctx: Context, integ: IntegrationOverview, tr: TimeRange) -> None:
    assert ctx.url is not None
    transitions = data.alert_events(ctx.url, tr.start_ms, tr.end_ms, integ.name)
    bands = {}
    end = min(tr.end_ms, ctx.now_ms())
    for p in integ.probes:
        mine = [e for e in transitions if e.probe == p.probe]
        initial = data.state_before(ctx.url, integ.name, p.probe, tr.start_ms)
        if mine or p.last_run_ms is not None:
            bands[p.probe] = state_bands(initial, mine, tr.start_ms, end)
    st.plotly_chart(figures.state_timeline(bands, ctx.tz), config=CHART, key="ch_states")


def recent_runs(ctx: Context, integ: IntegrationOverview, probe: ProbeOverview) -> None:
    assert ctx.url is not None
    runs = data.runs(ctx.url, integ.name, probe.probe, 50)
    st.subheader("Recent runs")
    if not runs:
        st.info(f"**{probe.probe}** has no runs yet. A probe's first result appears after its "
                "first scheduled run.")
        return
    st.dataframe(pd.DataFrame.from_records([{
        "Started": fmt_time(int(r.started_at.timestamp() * 1000), ctx.tz, seconds=True),
        "Status": r.status.upper(),
        "Latency": fmt_ms(r.latency_ms),
        "Attempts": r.attempts,
        "Category": r.category or "",
        "Reason": r.reason or r.degraded_reason or "",
        "Failed step": r.failed_step or "",
        "Message": ctx.redact(r.message)[:200],
    } for r in runs]), hide_index=True, width="stretch", height=280)
    for r in runs[:20]:
        when = fmt_time(int(r.started_at.timestamp() * 1000), ctx.tz, seconds=True)
        label = f"{when} · {r.status.upper()} · {fmt_ms(r.latency_ms)}"
        if r.category:
            label += f" · {r.category}: {r.reason or ''}"
        with st.expander(label):
            if r.message:
                st.code(ctx.redact(r.message), language=None, wrap_lines=True)
            if r.degraded_reason:
                st.caption(f"Degraded: {ctx.redact(r.degraded_reason)}")
            st.dataframe(pd.DataFrame.from_records([{
                "#": s.idx + 1, "Step": s.name, "Status": s.status.upper(),
                "HTTP": s.http_status or "", "Latency": fmt_ms(s.latency_ms),
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
    rows = [x for x in data.locations(ctx.url) if x.integration == integ.name]
    if len({x.location for x in rows}) < 2:
        return
    st.subheader("By location")
    st.dataframe(pd.DataFrame.from_records([{
        "Probe": x.probe,
        "Location": x.location,
        "Last run": fmt_time(int(x.last_started_at.timestamp() * 1000), ctx.tz, seconds=True),
        "Status": str(x.last_status).upper(),
        "Category": x.last_category or "",
        "Last latency": fmt_ms(x.last_latency_ms),
        "p95 1h": fmt_ms(x.p95_latency_ms_1h),
        "Uptime 24h": fmt_pct(x.uptime_24h),
    } for x in rows]), hide_index=True, width="stretch")
