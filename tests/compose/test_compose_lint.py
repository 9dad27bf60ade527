"""Lint: what holds a dispatch (blocking) and what is only shown (warnings)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from compose_corpus import dispatch

from syndicate.compose.lint import find_html, find_placeholder, lint_dispatch
from syndicate.model import Dispatch

CLEAN = dispatch("clean", text="A normal body. With two sentences.", summary="A normal summary.")


def codes(d: Dispatch, **kw: bool) -> dict[str, bool]:
    return {w.code: w.blocking for w in lint_dispatch(d, **kw)}


def test_a_clean_dispatch_has_no_warnings() -> None:
    assert lint_dispatch(CLEAN) == ()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Written by [Your Name] in Lima.", "[Your Name]"),
        ("Follow me at @YourHandle for more.", "@YourHandle"),
        ("The minister said TK about the budget.", "TK"),
        ("Quote TKTK here.", "TKTK"),
        ("Lorem ipsum dolor sit amet.", "Lorem ipsum"),
        ("Dear {{ name }}, welcome.", "{{ name }}"),
        ("Empty {{}} braces.", "{{}}"),
        ("Add [insert quote here] later.", "[insert quote here]"),
    ],
)
def test_placeholders_block(text: str, found: str) -> None:
    assert find_placeholder(text) == found
    d = replace(CLEAN, text=text)
    assert codes(d) == {"placeholder": True}
    message = lint_dispatch(d)[0].message
    assert found in message and "body" in message


@pytest.mark.parametrize("text", [
    "TKO in the third round.", "The Turkish TK-1 and tk are fine.", "Atkins said so.", "@YourHandleX",
    "He paid [EUR] 5.", "Use {single} braces.",
])
def test_placeholder_lookalikes_pass(text: str) -> None:
    assert find_placeholder(text) is None


@pytest.mark.parametrize(
    ("field", "value", "found"),
    [
        ("title", "Floods &amp; fires", "&amp;"),
        ("title", "It&#8217;s back", "&#8217;"),
        ("text", "<p>First paragraph</p>", "<p>"),
        ("text", 'See <a href="x">this</a>', '<a href="x">'),
        ("summary", "Line<br/>break", "<br/>"),
        ("text", "Caf&eacute; culture", "&eacute;"),
    ],
)
def test_leftover_html_blocks(field: str, value: str, found: str) -> None:
    d = replace(CLEAN, **{field: value})
    assert find_html(value) == found
    assert codes(d) == {"html-leftover": True}


@pytest.mark.parametrize("text", ["AT&T and R&D", "x < y > z", "&notanentity; here", "<3 you", "a <b c"])
def test_html_lookalikes_pass(text: str) -> None:
    assert find_html(text) is None


def test_missing_link_blocks_empty_body_depends_on_mode_long_title_warns() -> None:
    assert codes(replace(CLEAN, url="")) == {"missing-link": True}
    assert codes(replace(CLEAN, url="/relative/path")) == {"missing-link": True}
    assert codes(replace(CLEAN, text="")) == {"empty-body": False}
    assert codes(replace(CLEAN, text="  \n"), thread=True) == {"empty-body": True}
    assert codes(replace(CLEAN, title="word " * 41)) == {"long-title": False}
    assert codes(replace(CLEAN, title="")) == {"empty-title": False}
    assert codes(CLEAN, hold=True) == {"held": True}
    for warning in lint_dispatch(replace(CLEAN, url="", text="", title="x" * 300), hold=True):
        assert warning.message and warning.code == warning.code.lower() and " " not in warning.code
