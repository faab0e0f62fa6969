"""seamwatch dashboard entry point: page frame and routing only (pages live in dashboard/pages).

Run with `seamwatch dashboard [-c FILE]`, which sets $SEAMWATCH_CONFIG for this script."""

from __future__ import annotations

import streamlit as st

from dashboard import frame

st.set_page_config(page_title="seamwatch", page_icon="🩺", layout="wide",
                   initial_sidebar_state="expanded")
frame.require_login()

PAGES = {
    "overview": st.Page("dashboard/pages/overview.py", title="Overview",
                        icon=":material/dashboard:", default=True),
    "integration": st.Page("dashboard/pages/integration.py", title="Integration",
                           icon=":material/hub:", url_path="integration"),
    "alerts": st.Page("dashboard/pages/alerts.py", title="Alerts",
                      icon=":material/notifications_active:", url_path="alerts"),
    "slo": st.Page("dashboard/pages/slo.py", title="SLOs", icon=":material/speed:",
                   url_path="slo"),
    "foresight": st.Page("dashboard/pages/foresight.py", title="Expiries & quotas",
                         icon=":material/event_upcoming:", url_path="foresight"),
    "notifications": st.Page("dashboard/pages/notifications.py", title="Notifications",
                             icon=":material/mail:", url_path="notifications"),
    "runners": st.Page("dashboard/pages/runners.py", title="Runners",
                       icon=":material/dns:", url_path="runners"),
    "configuration": st.Page("dashboard/pages/configuration.py", title="Configuration",
                             icon=":material/settings:", url_path="configuration"),
}
page = st.navigation(list(PAGES.values()))
# Alert emails link to `dashboard_url?integration=…&probe=…`: open the Integration page.
if page.url_path == "" and st.query_params.get("integration"):
    st.switch_page(PAGES["integration"], query_params=st.query_params.to_dict())
frame.sidebar_controls()
page.run()
