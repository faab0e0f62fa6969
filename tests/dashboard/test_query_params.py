"""Query parameters come from whoever wrote the link: a page repeats them as plain text, never as
Markdown. Through Streamlit's AppTest; the warning's Markdown source is parsed
with a CommonMark parser to see what the browser would render."""

from __future__ import annotations

import markdown_it
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.frame import MAX_LITERAL, literal
from tests.dashboard.conftest import APP, Scenario

HOSTILE = [
    "[pay the invoice](http://127.0.0.1:9/phish) ![pixel](http://127.0.0.1:9/p.png) **urgent**",
    "<img src=x onerror=alert(1)> ``tick`` `one` :red[colour] $x^2$ http://127.0.0.1:9/autolink",
    "x\n\n# heading\n- item\n\n```\nfenced\n```\n    indented <b>bold</b>",
]
RENDERED = {"link_open", "image", "strong_open", "em_open", "html_inline", "html_block",
            "heading_open", "bullet_list_open", "code_block", "fence"}


def _app(scenario: Scenario, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(scenario.config_path))
    monkeypatch.delenv("SEAMWATCH_MAILBOX", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(params)
    return at.run()


def _rendered(body: str) -> tuple[set[str], list[str]]:
    """What CommonMark makes of `body`: the kinds of its block and inline tokens (strong
    emphasis of the page's own text included), and the contents of its code spans."""
    kinds: set[str] = set()
    spans: list[str] = []
    for token in markdown_it.MarkdownIt("commonmark").parse(body):
        kinds.add(token.type)
        for child in token.children or []:
            kinds.add(child.type)
            if child.type == "code_inline":
                spans.append(child.content)
    return kinds, spans


def _shown(value: str) -> str:
    """The value as the page must show it: every character, with line breaks made visible."""
    return value.replace("\n", "\ufffd")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_unknown_integration_in_the_link_is_shown_as_text(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, hostile: str,
) -> None:
    at = _app(scenario, monkeypatch, integration=hostile)
    assert not at.exception, [e.value for e in at.exception]
    (warning,) = [w.value for w in at.warning if "no integration named" in w.value]
    kinds, spans = _rendered(warning)
    assert not kinds & RENDERED, kinds & RENDERED
    assert spans == [_shown(hostile)]
    assert kinds >= {"paragraph_open", "code_inline"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_an_unknown_probe_in_the_link_is_shown_as_text(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, hostile: str,
) -> None:
    at = _app(scenario, monkeypatch, integration="payments", probe=hostile)
    assert not at.exception, [e.value for e in at.exception]
    (warning,) = [w.value for w in at.warning if "has no probe named" in w.value]
    kinds, spans = _rendered(warning)
    assert not kinds & (RENDERED - {"strong_open"}), kinds  # only the page's own **payments**
    assert warning.startswith("**payments** has no probe named ")
    assert spans == [_shown(hostile)]
    assert at.selectbox(key="ig_probe").value != hostile


@pytest.mark.parametrize("value", [
    "`", "``", " `a` ", "a\r\nb", "\u2028x\x00", "trailing `", "plain", " ", "x" * 500,
])
def test_literal_keeps_any_text_inside_one_code_span(value: str) -> None:
    kinds, spans = _rendered(f"before {literal(value)} after")
    assert not kinds & RENDERED
    expected = _shown(value).replace("\r", "\ufffd").replace("\u2028", "\ufffd")
    expected = expected.replace("\x00", "\ufffd")
    if len(expected) > MAX_LITERAL:
        expected = expected[:MAX_LITERAL] + "…"
    assert spans == [expected]
