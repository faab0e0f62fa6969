"""Notifications: each alert channel's delivery (a failing channel shows its error), the outbox
of every channel (sent, queued, failed; attempts and last error; each notice's subject and
text), and the demo mail catcher's inbox when `$SEAMWATCH_MAILBOX` names one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, frame
from dashboard.ui import empty_state, fmt_time

STATUSES = ["queued", "sending", "sent", "failed"]

ctx = frame.context()
st.title("Notifications")
if frame.no_database(ctx):
    st.stop()
assert ctx.url is not None
URL = ctx.url
status_filter = st.multiselect("Status", STATUSES, key="nt_status",
                               placeholder="every status")


@st.fragment(run_every=ctx.run_every)
def panel() -> None:
    emails = data.outbox(URL, 500)
    counts = data.outbox_counts(URL)  # every email, not only the 500 newest listed below
    cols = st.columns(4)
    cols[0].metric("Sent", counts.get("sent", 0), border=True)
    cols[1].metric("Queued", counts.get("queued", 0) + counts.get("sending", 0), border=True)
    cols[2].metric("Failed", counts.get("failed", 0), border=True)
    cols[3].metric("Attempts", sum(e.attempts for e in emails), border=True,
                   help="delivery attempts of the newest 500 emails")
    _channels()
    shown = [e for e in emails if not status_filter or e.status in status_filter]
    st.subheader("Outbox")
    if not emails:
        configured = ctx.config is not None and bool(ctx.config.alerting.channels)
        empty_state("No alert notices yet.", "" if configured else
                    "Add `channels:` to the config to send them.")
    elif not shown:
        empty_state("No notice with this status.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "#": e.id,
            "Created": fmt_time(e.created_ms, ctx.tz, seconds=True),
            "Channel": e.channel,
            "Kind": e.kind.upper(),
            "Status": e.status.upper(),
            "Attempts": e.attempts,
            "Sent": fmt_time(e.sent_ms, ctx.tz, seconds=True) if e.sent_ms else "",
            "Subject": ctx.redact(e.subject),
            "To": ", ".join(e.recipients),
            "Last error": ctx.redact(e.last_error),
        } for e in shown]), hide_index=True, width="stretch")
        for e in shown[:50]:
            label = f"#{e.id} · {e.status.upper()} · {ctx.redact(e.subject)}"
            with st.expander(label):
                st.caption(f"To {', '.join(e.recipients)} · {e.alert_count} alert(s) · "
                           f"{e.attempts} attempt(s)")
                if e.last_error:
                    st.error(f"Last error: {ctx.redact(e.last_error)}")
                st.text(ctx.redact(e.text_body))
    _mailbox()


def _channels() -> None:
    """One row per channel: configured ones first (even before their first notice)."""
    summaries = {c.channel: c for c in data.channel_summaries(URL)}
    configured = dict(ctx.config.alerting.channels) if ctx.config is not None else {}
    names = [*configured, *(n for n in summaries if n not in configured)]
    if not names:
        return
    st.subheader("Channels")
    rows = []
    for name in names:
        summary = summaries.get(name)
        counts = summary.counts if summary else {}
        failing = bool(summary and summary.failing)
        spec = configured.get(name)
        rows.append({
            "Channel": name,
            "Type": spec.type if spec is not None else "(not configured)",
            "Status": "FAILING" if failing else "OK",
            "Queued": counts.get("queued", 0) + counts.get("sending", 0),
            "Sent": counts.get("sent", 0),
            "Failed": counts.get("failed", 0),
            "Last sent": fmt_time(summary.last_sent_ms, ctx.tz, seconds=True)
            if summary and summary.last_sent_ms else "",
            "Last error": ctx.redact(summary.last_error) if summary else "",
        })
    st.dataframe(pd.DataFrame.from_records(rows), hide_index=True, width="stretch")
    for row in rows:
        if row["Status"] == "FAILING":
            st.error(f"Channel {row['Channel']} is failing: {row['Last error']}")


def _mailbox() -> None:
    folder = data.mailbox_folder()
    if folder is None:
        return
    st.subheader("Demo mail catcher")
    messages = data.mailbox(folder, 200)
    if not messages:
        empty_state("The mail catcher has not received any email yet", f"(`{folder}`).")
        return
    st.caption(f"{len(messages)} messages caught in `{folder}`, newest first")
    for m in messages[:50]:
        received = int(m.received.timestamp() * 1000)
        with st.expander(f"{fmt_time(received, ctx.tz, seconds=True)} · "
                         f"{ctx.redact(m.subject)}"):
            st.caption(f"From {m.from_} to {', '.join(m.recipients or m.to)}")
            st.text(ctx.redact(m.text))


panel()
