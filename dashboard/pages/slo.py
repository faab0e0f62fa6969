"""SLOs: every objective's attainment, error budget left, burn rate per window and burn-rate
alert state; for the selected one, the budget burn-down over its window and its burn rates."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from alerts.settings import Settings
from dashboard import frame, slo_data
from dashboard.figures.slo import burn_down_figure, burn_rate_figure
from dashboard.ui import fmt_pct, fmt_time
from storage.rollups.format import HOUR_MS

ctx = frame.context()
st.title("SLOs")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None and ctx.config is not None
URL = ctx.url
settings = Settings.from_config(ctx.config)
if not settings.slos:
    st.info("No SLO configured. Add `slo: {objective: 99.9%, window: 30d}` to an integration, "
            "a probe or `defaults:` (see the README, \"SLOs and burn-rate alerts\").")
    st.stop()
KEY = repr((settings.slos, ctx.config.maintenance))


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}×"


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    now = ctx.now_ms() // 10_000 * 10_000
    found = slo_data.statuses(URL, now, KEY, settings)
    st.dataframe(pd.DataFrame.from_records([{
        "SLO": s.target.key,
        "Objective": fmt_pct(100 * s.target.spec.objective),
        "Window": f"{s.target.spec.window / 86400:g} d",
        "Attainment": fmt_pct(None if s.attainment is None else 100 * s.attainment),
        "Budget left": fmt_pct(None if s.budget_remaining is None
                               else 100 * s.budget_remaining),
        "Burn 1h": _rate(s.rates["1h"]), "Burn 6h": _rate(s.rates["6h"]),
        "Burn 3d": _rate(s.rates["3d"]),
        "Alert": s.severity.upper(),
        "Since": fmt_time(s.since_ms, ctx.tz),
    } for s in found]), hide_index=True, width="stretch")
    keys = [s.target.key for s in found]
    wanted = st.query_params.get("integration")
    if wanted and st.query_params.get("probe"):
        wanted = f"{wanted}/{st.query_params.get('probe')}"
    picked = st.selectbox("SLO", keys, index=keys.index(wanted) if wanted in keys else 0,
                          key="slo_pick")
    chosen = next(s for s in found if s.target.key == picked)
    cols = st.columns(4)
    cols[0].metric("Budget left", fmt_pct(None if chosen.budget_remaining is None
                                          else 100 * chosen.budget_remaining), border=True)
    cols[1].metric("Attainment", fmt_pct(None if chosen.attainment is None
                                         else 100 * chosen.attainment), border=True)
    cols[2].metric("Runs counted", f"{chosen.counted.runs:,}", border=True)
    cols[3].metric("Burn-rate alert", chosen.severity.upper(), border=True)
    hours = slo_data.burn_down(URL, chosen.target, now // HOUR_MS * HOUR_MS)
    left, right = st.columns(2)
    left.plotly_chart(burn_down_figure(hours, chosen.target.spec.budget, ctx.tz),
                      width="stretch")
    right.plotly_chart(burn_rate_figure(chosen.rates), width="stretch")
    st.subheader("Burn-rate alert history")
    changes = slo_data.events(URL, chosen.target.key, now - int(chosen.target.spec.window * 1000))
    if not changes:
        st.caption("No burn-rate alert in the SLO window.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "At": fmt_time(e.at_ms, ctx.tz), "From": e.from_severity.upper(),
            "To": e.to_severity.upper(), "Why": e.reason} for e in changes]),
            hide_index=True, width="stretch")
    st.caption("Good runs are ok and degraded; runs in maintenance windows are left out of the "
               "attainment and burn rates (the burn-down counts every run). Page: over 14.4× "
               "for 1 h and 5 min, or 6× for 6 h and 30 min; ticket: over 1× for 3 d and 6 h.")


panel()
