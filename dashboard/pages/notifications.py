"""Notifications: the email outbox (sent, queued, failed; attempts and last error; each email's
subject and text), and the demo mail catcher's inbox when `$SEAMWATCH_MAILBOX` names one."""

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
    shown = [e for e in emails if not status_filter or e.status in status_filter]
    st.subheader("Outbox")
    if not emails:
        configured = ctx.config is not None and ctx.config.email is not None
        empty_state("No alert emails yet.", "" if configured else
                    "Add an `email:` block to the config to send them.")
    elif not shown:
        empty_state("No email with this status.")
    else:
        st.dataframe(pd.DataFrame.from_records([{
            "#": e.id,
            "Created": fmt_time(e.created_ms, ctx.tz, seconds=True),
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
