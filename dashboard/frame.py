"""The page frame shared by every page: sign-in gate, the sidebar's time-range picker and live
refresh controls (kept in session state and mirrored in the `range` query parameter), and the
`Context` pages read their settings from.

Query parameters: `range` (see `dashboard.timerange`), `integration`, `probe`, and `live=off` to
open the dashboard paused. They come from whoever wrote the link, so a page that repeats one shows
it through `literal()`, never as Markdown.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import streamlit as st

from core.redact import Redactor
from dashboard import data
from dashboard.figures.common import zone
from dashboard.timerange import CUSTOM, PRESETS, TimeRange, custom_range, parse_range
from dashboard.ui import browser_tz, empty_state
from seamwatch.config import Config
from storage.database import redact_url

RANGE_KEY, FROM_KEY, TO_KEY = "sw_range", "sw_from", "sw_to"
LIVE_KEY, EVERY_KEY = "sw_live", "sw_every"
REFRESH_CHOICES = {"10 s": 10, "30 s": 30, "1 min": 60, "5 min": 300}
DEFAULT_REFRESH = "30 s"
MAX_LITERAL = 120  # characters of a query parameter repeated on a page
# what could end a code span's paragraph or hide text: C0/C1 controls, line/paragraph separators
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def literal(text: str) -> str:
    """`text` as a Markdown code span: shown as typed, never as Markdown (no links, images,
    emphasis, headings or HTML). The fence is one backtick longer than any run of backticks in
    the text, line breaks and other control characters become U+FFFD (a blank line would end
    the span), and text beyond MAX_LITERAL characters is cut with an ellipsis."""
    clean = _UNPRINTABLE.sub("\ufffd", text)
    if len(clean) > MAX_LITERAL:
        clean = clean[:MAX_LITERAL] + "…"
    if not clean:
        return '""'
    fence = "`" * (max((len(run) for run in re.findall("`+", clean)), default=0) + 1)
    if not clean.strip(" "):
        return f"{fence}{clean}{fence}"  # only spaces: CommonMark keeps them as they are
    # otherwise it strips one space from each end of a padded span, so a text that starts or
    # ends with a backtick (or a space) is shown exactly
    return f"{fence} {clean} {fence}"


def auth_configured() -> bool:
    """An `[auth]` section in .streamlit/secrets.toml turns on sign-in (OIDC via st.login)."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def require_login() -> None:
    """Stop the page unless the viewer is signed in (only when auth is configured)."""
    if not auth_configured():
        return
    if st.user.is_logged_in:
        with st.sidebar:
            st.caption(f"Signed in as {st.user.get('email') or st.user.get('name') or 'user'}")
            st.button("Log out", on_click=st.logout, key="sw_logout")
        return
    st.title("seamwatch")
    st.info("This dashboard requires signing in.")
    st.button("Log in", on_click=st.login, type="primary", key="sw_login")
    st.stop()


def _init_state(now_ms: int, tz: str) -> None:
    if RANGE_KEY in st.session_state:
        return
    tr = parse_range(st.query_params.get("range"), now_ms)
    st.session_state[RANGE_KEY] = tr.preset
    z = zone(tz)
    start = datetime.fromtimestamp(tr.start_ms / 1000, z).date()
    end = datetime.fromtimestamp(tr.end_ms / 1000, z).date()
    st.session_state[FROM_KEY] = (start, end)
    st.session_state[LIVE_KEY] = st.query_params.get("live", "on") != "off"
    st.session_state[EVERY_KEY] = DEFAULT_REFRESH
    if tr.preset == CUSTOM:  # a deep link's exact instants, while the picked dates match
        st.session_state[TO_KEY] = (tr.start_ms, tr.end_ms, (start, end))


def sidebar_controls() -> None:
    """The time-range picker and live-refresh controls (drawn once per run by the app)."""
    tz = browser_tz()
    _init_state(int(time.time() * 1000), tz)
    with st.sidebar:
        st.segmented_control("Time range", [*PRESETS, CUSTOM], key=RANGE_KEY,
                             selection_mode="single")
        if st.session_state.get(RANGE_KEY) == CUSTOM:
            st.date_input("From – to (your time zone)", key=FROM_KEY,
                          max_value=date.today() + timedelta(days=1))
        st.toggle("Live refresh", key=LIVE_KEY,
                  help="Panels reload on their own; pausing keeps every selection.")
        st.selectbox("Every", list(REFRESH_CHOICES), key=EVERY_KEY,
                     disabled=not st.session_state.get(LIVE_KEY))
    st.query_params["range"] = current_range(tz).to_param()
    if st.session_state.get(LIVE_KEY):
        st.query_params.pop("live", None)
    else:
        st.query_params["live"] = "off"


def current_range(tz: str | None = None) -> TimeRange:
    """The selected range, re-evaluated against the current time (call it inside fragments)."""
    now_ms = int(time.time() * 1000)
    preset = st.session_state.get(RANGE_KEY) or "24h"
    if preset != CUSTOM:
        return parse_range(preset, now_ms)
    picked = st.session_state.get(FROM_KEY)
    exact = st.session_state.get(TO_KEY)
    if isinstance(exact, tuple) and tuple(picked or ()) == exact[2]:
        return custom_range(int(exact[0]), int(exact[1]))
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        z = zone(tz or browser_tz())
        start = datetime.combine(picked[0], datetime.min.time(), z)
        end = datetime.combine(picked[1], datetime.min.time(), z) + timedelta(days=1)
        return custom_range(int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    return parse_range(None, now_ms)


@dataclass(frozen=True)
class Context:
    """What a page needs: the config (last valid), its storage URL, the viewer's zone and the
    live-refresh setting."""

    config: Config | None
    url: str | None
    tz: str
    live: bool
    refresh_s: int
    redactor: Redactor

    @property
    def run_every(self) -> int | None:
        return self.refresh_s if self.live else None

    def time_range(self) -> TimeRange:
        return current_range(self.tz)

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def redact(self, text: str | None) -> str:
        return (self.redactor.redact(text) or "") if text else ""


def context() -> Context:
    state = data.config_state()
    config = state.config
    return Context(
        config=config,
        url=config.storage_url if config else None,
        tz=browser_tz(),
        live=bool(st.session_state.get(LIVE_KEY, True)),
        refresh_s=REFRESH_CHOICES.get(st.session_state.get(EVERY_KEY, DEFAULT_REFRESH), 30),
        redactor=data.redactor_for(config.secrets if config else frozenset()),
    )


def no_database(ctx: Context) -> bool:
    """Say so and return True when there is no config or no database to read yet."""
    if ctx.url is None:
        state = data.config_state()
        st.error(f"No valid config at `{state.path}`; see the Configuration page.")
        return True
    if data.store(ctx.url) is None:
        empty_state("No data yet.", f"The database has no seamwatch runs (`{_safe_url(ctx)}`). "
                    "Start the scheduler with `seamwatch serve` (or `seamwatch up`) and this "
                    "page fills in as probes run.")
        return True
    return False


def _safe_url(ctx: Context) -> str:
    return ctx.redact(redact_url(ctx.url or ""))
