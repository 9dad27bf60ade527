"""Clean text from feeds, nothing raw to a terminal (issue 9, item 6).

Control characters are removed when an entry is parsed, bidi overrides from
titles; what is printed is escaped again whatever its origin. The end-to-end
test runs the installed `syndicate` (dry-run in three formats, run, run --json,
status) against the X and Mastodon fakes and reads what reached stdout, stderr,
the HTML page and the fakes' stored posts.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from delivery.delivery_support import MASTODON_CANARY, Setup, cli_env, make_mastodon_fake, make_x_fake, run_cli

from syndicate._terminal import printable, printable_json
from syndicate.model import Image
from syndicate.preview.text import render_text
from syndicate.watch.cleantext import clean_text, clean_title
from syndicate.watch.parse import ParsedFeed, parse_feed

VECTORS = Path(__file__).resolve().parent.parent / "data" / "length_vectors.jsonl"

# What must never reach a post or a page: C0 (but newline and tab), DEL, C1.
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What must never reach a terminal: those, tab too (only our own layout uses it), bidi
# controls (a body may keep them: they are real text there) and U+2028/U+2029.
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
HOSTILE = "\x1b]0;pwned\x07Floods \x1b[2Jclose\x9b31m the \u202eroad\u202c \x00ring\x85"
ARABIC = "الفيضانات تغلق الطريق الدائري"
FAMILY = "Family 👨‍👩‍👧‍👦 flag 🏳️‍🌈 heart ❤️"  # ZWJ sequences and variation selectors


def json_feed(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Wire\x1b[2J",
                       "items": items}).encode()


def parse_json(items: list[dict[str, Any]]) -> ParsedFeed:
    return parse_feed(json_feed(items), url="https://news.example/feed.json", feed_name="wire")


# -- parse time -----------------------------------------------------------------------------------


def test_controls_are_removed_from_every_text_field_of_a_json_feed() -> None:
    feed = parse_json([{
        "id": "1", "url": "https://news.example/a\x1b[2J", "title": HOSTILE,
        "content_text": "First\x07 para\x1b[31m.\tTabbed\n\n\x9bSecond para",
        "summary": "Sum\x1b]0;x\x07mary", "tags": ["ta\x1bg", "\u202eok"],
        "authors": [{"name": "Ana\x1b[0m R"}],
        "attachments": [{"url": "/i.png", "mime_type": "image/png", "title": "Alt\x9b text"}],
    }])
    d = feed.dispatches[0]
    assert feed.title == "Wire[2J"
    assert d.title == "]0;pwnedFloods [2Jclose31m the road ring"
    assert d.text == "First para[31m. Tabbed\n\nSecond para"  # paragraphs kept (spaces collapse as before)
    assert (d.summary, d.author, d.tags) == ("Sum]0;xmary", "Ana[0m R", ("tag", "\u202eok"))
    assert d.image == Image("https://news.example/i.png", "Alt text")
    assert d.url == "https://news.example/a%1B[2J"  # a URL cannot hold one: percent-encoded
    assert not FORBIDDEN.search(d.title + d.summary + (d.author or "") + d.image.alt + d.url)


def test_controls_are_removed_from_rss_too_and_bidi_controls_only_from_titles() -> None:
    doc = (b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>x</title><item>'
           b"<guid>g</guid><title>A &#x1b;[2J &#x202e;b&#x2066;c&#x2069;</title>"
           b"<description>&lt;p&gt;Body &#x9d;&#x1b;[31m &#x202e;kept&#x202c;&lt;/p&gt;</description>"
           b"</item></channel></rss>")
    d = parse_feed(doc, url="https://news.example/rss", feed_name="wire").dispatches[0]
    assert d.title == "A [2J bc"
    assert d.text == "Body [31m \u202ekept\u202c"  # the body keeps its bidi controls; printing escapes them


def test_arabic_titles_and_emoji_zwj_sequences_are_byte_identical() -> None:
    feed = parse_json([{"id": "1", "title": ARABIC, "content_text": FAMILY},
                       {"id": "2", "title": FAMILY, "content_text": "\u200fRTL mark\u200e kept"}])
    a, b = feed.dispatches
    assert (a.title, a.text) == (ARABIC, FAMILY)
    assert (b.title, b.text) == (FAMILY, "\u200fRTL mark\u200e kept")
    assert a.title.encode() == ARABIC.encode() and b.title.encode() == FAMILY.encode()


def test_the_length_vectors_texts_pass_cleaning_unchanged() -> None:
    """Every text the platforms' own libraries measured (emoji, RTL, ZWJ, VS …) comes out of
    cleaning byte-identical, except the few vectors built around the very characters we remove."""
    removed = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
    unchanged = 0
    for line in VECTORS.read_text("utf-8").splitlines():
        text = json.loads(line).get("text")
        if not isinstance(text, str):
            continue
        if removed.search(text):
            assert clean_title(text) == removed.sub("", text)
            continue
        assert clean_text(text) == text and clean_title(text) == text
        unchanged += 1
    assert unchanged > 1300


# -- printing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;t\x07", "\\x1b]0;t\\x07"),
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("\x9b31m", "\\x9b31m"),
        ("x\u2028y\u2029z", "x\\u2028y\\u2029z"),
        ("\u202eevil\u202c", "\\u202eevil\\u202c"),
        ("\x7f\x00", "\\x7f\\x00"),
        ("line\n\tnext", "line\n\tnext"),
        (ARABIC + " " + FAMILY + " \u00a0", ARABIC + " " + FAMILY + " \u00a0"),
    ],
)
def test_printable_shows_what_would_act_on_a_terminal(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_json_stays_json_with_the_same_values() -> None:
    value = {"t": "\x1b\x9b\x7f\u2028\u202e" + ARABIC + FAMILY, "\x85k": ["\ud800"]}
    encoded = printable_json(json.dumps(value, ensure_ascii=False))
    assert not FORBIDDEN.search(encoded) and "\ud800" not in encoded
    assert json.loads(encoded) == value
    assert ARABIC in encoded and FAMILY in encoded  # readable text stays readable


@pytest.mark.parametrize("color", [False, True])
def test_dry_run_text_renderer_escapes_every_field_but_keeps_its_own_styling(color: bool) -> None:
    evil = "\x1b]0;x\x07T\x9b\u202e"
    post = {"text": f"{evil}\nline two", "length": 5, "limit": 280, "facets": [],
            "card": {"title": evil, "uri": f"https://c.example/{evil}", "image": evil},
            "images": [{"url": evil, "alt": evil}]}
    plan = {"dispatches": [{
        "title": evil, "url": evil, "feed": evil, "published": evil,
        "warnings": [{"blocking": False, "message": evil, "code": "w"}],
        "platforms": {"x": {"skipped": None, "posts": [post, post]}, "mastodon": {"skipped": evil}},
    }]}
    out = render_text(plan, color=color)
    ansi = re.compile(r"\x1b\[[0-9;]*m")  # click.style's own SGR sequences
    assert not FORBIDDEN.search(ansi.sub("", out))
    assert out.count("\\x1b]0;x\\x07T\\x9b\\u202e") == 18  # every field, each post
    assert bool(ansi.search(out)) == color


# -- end to end: dry-run and run against the fakes ------------------------------------------------


def test_controls_reach_neither_output_nor_json_nor_html_nor_posts(tmp_path: Path) -> None:
    when = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    items = [
        {"id": "ctl", "url": "http://127.0.0.1:9/dispatch/ctl", "title": HOSTILE,
         "content_text": "Water rose\x1b[2J fast\x07 at the \u202eweir\u202c.\x9b",
         "date_published": when.isoformat()},
        {"id": "rtl", "url": "http://127.0.0.1:9/dispatch/rtl", "title": ARABIC, "content_text": FAMILY,
         "date_published": when.replace(minute=5).isoformat()},
    ]
    feed = tmp_path / "feed.json"
    feed.write_bytes(json_feed(items))
    env = cli_env(x=True, mastodon=MASTODON_CANARY)
    with make_x_fake() as xf, make_mastodon_fake() as mf:
        setup = Setup(tmp_path, feed=str(feed), x_api=xf.base_url, mastodon=mf.base_url, mode="teaser",
                      backfill=2)
        setup.write()
        html = tmp_path / "preview.html"
        outputs = {
            "dry-run": run_cli(setup.config, "dry-run", "--html", str(html), env=env),
            "dry-run json": run_cli(setup.config, "dry-run", "--format", "json", env=env),
            "run": run_cli(setup.config, "run", "-v", env=env),
        }
        assert all(p.returncode == 0 for p in outputs.values()), {k: p.stderr for k, p in outputs.items()}
        outputs["status"] = run_cli(setup.config, "status", env=env)
        posts = [t.text for t in xf.tweets] + [s.text for s in mf.statuses]

    for name, proc in outputs.items():
        assert not FORBIDDEN.search(proc.stdout + proc.stderr), name
    assert "Floods" in outputs["dry-run"].stdout and ARABIC in outputs["dry-run"].stdout
    plan = json.loads(outputs["dry-run json"].stdout)
    titles = {d["title"] for d in plan["dispatches"]}
    assert titles == {"]0;pwnedFloods [2Jclose31m the road ring", ARABIC}
    page = html.read_text("utf-8")
    assert ARABIC in page and not CONTROLS.search(page)

    assert len(posts) == 4
    assert not any(CONTROLS.search(p) for p in posts)
    assert not any(re.search("[\u202a-\u202e\u2066-\u2069]", p.split("\n")[0]) for p in posts)
    assert sum(ARABIC in p for p in posts) == 2
    assert any("Floods" in p for p in posts)
    assert ARABIC in outputs["status"].stdout


@pytest.mark.parametrize("ref", ["&#xD800;", "&#xdfff;", "&#x110000;", "&#99999999999999999999;"])
def test_impossible_character_references_become_replacement_characters(ref: str) -> None:
    # Ill-formed XML goes to feedparser's loose parser, which raised UnicodeEncodeError,
    # ValueError or OverflowError on these: a traceback from feed text.
    doc = (f'<rss version="2.0"><channel><title>x</title><item><guid>1</guid><title>a {ref} b</title>'
           "</item></channel></rss>").encode()
    assert parse_feed(doc, url="https://news.example/rss", feed_name="wire").dispatches[0].title == "a \ufffd b"


def test_lone_surrogates_from_json_become_replacement_characters() -> None:
    d = parse_json([{"id": "1", "title": "a \ud800 b", "content_text": "x\udfff"}]).dispatches[0]
    assert (d.title, d.text) == ("a \ufffd b", "x\ufffd")
    d.title.encode("utf-8")  # printable and postable
