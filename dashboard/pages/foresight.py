"""Expiries & quotas: what will break before it breaks. Every credential, secret and certificate
the runs saw will expire, soonest first; and per integration, each rate-limit quota over the
selected range with its forecast (when it runs out, whether before it resets, and how much of
it seamwatch's own probes spend)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import foresight_data, frame
from dashboard.figures.quota import quota_figure
from dashboard.ui import chart, empty_state, fmt_duration, fmt_pct, fmt_time

ctx = frame.context()
st.title("Expiries & quotas")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None and ctx.config is not None
URL = ctx.url
NAMES = tuple(i.name for i in ctx.config.integrations)


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    tr = ctx.time_range()
    now = ctx.now_ms()
    st.subheader("Expiries, soonest first")
    found = foresight_data.expiries(URL, NAMES)
    if not found:
        empty_state("Nothing known to expire yet.",
                    "Expiries appear once the auth probe has run or a probe has opened an "
                    "HTTPS connection; set `auth.expires_at` for a secret no protocol reveals.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "Integration": e.integration, "What": e.kind.replace("_", " "),
            "Subject": e.subject, "Expires": fmt_time(e.expires_ms, ctx.tz),
            "When": e.when(now, fmt_duration), "Seen by": e.probe,
        } for e in found]), hide_index=True, width="stretch")
    st.subheader("Rate-limit quotas")
    views = foresight_data.quota_views(URL, tr.start_ms, tr.end_ms, NAMES)
    if not views:
        empty_state("No rate-limit headers in this range.",
                    "Quotas show when a probe's responses carry RateLimit, X-RateLimit-* or "
                    "Retry-After headers.")
        return
    for view in views:
        f = view.forecast
        st.markdown(f"**{view.integration}** · policy `{view.label}`")
        cols = st.columns(4)
        last = view.samples[-1]
        cols[0].metric("Left", f"{last.remaining}" + (f" of {last.limit}" if last.limit else ""),
                       border=True)
        cols[1].metric("Spent per minute", "—" if f is None else f"{f.rate_per_s * 60:.1f}",
                       border=True)
        exhausted_ms = None if f is None or not f.runs_out_before_reset or \
            f.exhausted_at_s is None else int(f.exhausted_at_s * 1000)
        runs_out = ("needs 3 samples" if f is None else "not before reset"
                    if exhausted_ms is None else fmt_time(exhausted_ms, ctx.tz, short=True))
        cols[2].metric("Runs out", runs_out, border=True,
                       help=None if exhausted_ms is None else fmt_time(exhausted_ms, ctx.tz))
        cols[3].metric("seamwatch's share", "—" if f is None or f.own_share is None
                       else fmt_pct(100 * f.own_share), border=True)
        chart(quota_figure(view, tr, ctx.tz), key=f"quota-{view.integration}-{view.policy}")


panel()
