"""A corpus of feeds: feedparser's own test documents and a dozen real-world shapes of ours.

Every document parses to a ParsedFeed or a FeedError (never another exception),
in bounded time, and every entry that has a title of its own keeps it:

* feedparser's documents (tests/data/feedparser/, a BSD-2-Clause subset, see its
  README) each state their expectation in a comment; where it names an entry's
  title (`entries[0]['title'] == '…'`), one of our dispatches carries it;
* in every document an independent XML reader (ElementTree, on the documents it
  accepts) finds the entries with a non-empty <title> of their own: no more
  dispatches than that have a title (nothing nested leaks in), and no fewer than
  there are distinct such titles (entries with the same title and no id or link
  are one dispatch: same hash id);
* the shapes (tests/data/feed-shapes/) list their expected titles, in order, in
  titles.json.
"""

from __future__ import annotations

import ast
import json
import re
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from syndicate.errors import FeedError
from syndicate.watch.htmltext import html_to_text
from syndicate.watch.parse import ParsedFeed, parse_feed

DATA = Path(__file__).resolve().parent.parent / "data"
FEEDPARSER = DATA / "feedparser"
SHAPES = DATA / "feed-shapes"
SHAPE_TITLES: dict[str, list[str]] = json.loads((SHAPES / "titles.json").read_text("utf-8"))

# Our rules differ from feedparser's on purpose here: a media:title is an image's
# caption (alt text), never the headline (issue 15).
NOT_OUR_HEADLINE = {
    "wellformed/media-rss/item_media_title1.xml",
    "wellformed/media-rss/item_media_title_type_plain.xml",
}
# Namespaces whose <title> is an entry's own (RSS 0.9x/2.0 have none).
OWN_TITLE_NAMESPACES = {
    "", "http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/",
    "http://www.w3.org/2005/Atom", "http://purl.org/atom/ns#", "http://purl.org/dc/elements/1.1/",
    "http://backend.userland.com/rss2", "http://blogs.law.harvard.edu/tech/rss",
}
EXPECT_TITLE = re.compile(r"""entries\[(\d+)\]\[['"]title['"]\]\s*==\s*(u?(['"]).*?(?<!\\)\3)""")
HANG_GUARD_SECONDS = 60  # documents of a few KB; only an endless loop comes near this


def _documents() -> list[Path]:
    docs = [p for p in FEEDPARSER.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")]
    return sorted(docs)


def _shapes() -> list[Path]:
    return sorted(p for p in SHAPES.iterdir() if p.name != "titles.json")


@contextmanager
def _hang_guard(name: str) -> Iterator[None]:
    def hung(signum: int, frame: object) -> None:
        raise AssertionError(f"{name}: still parsing after {HANG_GUARD_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(HANG_GUARD_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _parse(path: Path, root: Path) -> ParsedFeed | None:
    """The document parsed, or None for a FeedError (a clear refusal); any other exception fails."""
    name = path.relative_to(root).as_posix()
    with _hang_guard(name):
        try:
            return parse_feed(path.read_bytes(), url=f"https://corpus.example/{name}", feed_name=name)
        except FeedError:
            return None


def _local(tag: str) -> tuple[str, str]:
    ns, _, local = tag.rpartition("}")
    return ns.lstrip("{"), local.lower()


def _own_titles(data: bytes) -> list[str] | None:
    """The non-empty <title> of each item/entry that has one of its own; None if ET cannot read the XML."""
    try:
        root = ET.fromstring(data)
    except (ET.ParseError, ValueError, LookupError):  # ill-formed; multi-byte or unknown encodings
        return None
    found: list[str] = []
    for element in root.iter():
        if _local(element.tag)[1] not in ("item", "entry"):
            continue
        for child in element:
            ns, local = _local(child.tag)
            text = " ".join("".join(child.itertext()).split())
            if local == "title" and ns in OWN_TITLE_NAMESPACES and text:
                found.append(text)
                break
    return found


def _expected_titles(data: bytes) -> list[str]:
    head = data[:2000].decode("utf-8", "replace")
    return [ast.literal_eval(m.group(2).lstrip("u")) for m in EXPECT_TITLE.finditer(head)]


@pytest.mark.parametrize("path", _documents(), ids=lambda p: p.relative_to(FEEDPARSER).as_posix())
def test_feedparser_documents_parse_and_keep_every_title(path: Path) -> None:
    name = path.relative_to(FEEDPARSER).as_posix()
    feed = _parse(path, FEEDPARSER)
    data = path.read_bytes()
    titles = [d.title for d in feed.dispatches] if feed else []
    for expected in _expected_titles(data):
        if name in NOT_OUR_HEADLINE:
            assert expected not in titles
            continue
        # feedparser states the title as it keeps it (HTML or not); ours is plain text.
        assert {" ".join(expected.split()), " ".join(html_to_text(expected).split())} & set(titles), (
            f"{name}: expected {expected!r} among {titles}")
    own = _own_titles(data)
    if own is not None and name not in NOT_OUR_HEADLINE:
        assert len(set(own)) <= sum(bool(t) for t in titles) <= len(own), f"{name}: own {own}, ours {titles}"


@pytest.mark.parametrize("path", _shapes(), ids=lambda p: p.name)
def test_real_world_feed_shapes_keep_their_own_titles(path: Path) -> None:
    feed = _parse(path, SHAPES)
    assert feed is not None, f"{path.name} was refused"
    assert [d.title for d in feed.dispatches] == SHAPE_TITLES[path.name]
    own = _own_titles(path.read_bytes())
    if own is not None:
        assert sum(bool(d.title) for d in feed.dispatches) == len(own)


def test_every_shape_has_its_expected_titles() -> None:
    assert sorted(SHAPE_TITLES) == [p.name for p in _shapes()]
    assert len(SHAPE_TITLES) >= 12


@pytest.mark.parametrize(
    "doc",
    [
        # An end tag with no start tag: feedparser's Creative Commons handler raised KeyError.
        b'<rss version="2.0" xmlns:creativeCommons="http://backend.userland.com/creativeCommonsRssModule">'
        b"<channel><title>x</title><item><title>a</title></creativeCommons:license></item></channel></rss",
        # A NUL in the declared encoding's name: ValueError from bytes.decode.
        b'<?xml version="1.0" encoding="utf\x00-8"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>a</title></item></channel></rss>",
    ],
    ids=["end-tag-without-start", "nul-in-encoding"],
)
def test_documents_feedparser_chokes_on_are_a_feed_error_not_a_traceback(doc: bytes) -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(doc, url="https://corpus.example/broken.xml", feed_name="broken")
    assert info.value.url == "https://corpus.example/broken.xml"
    assert info.value.reason.startswith("unreadable feed: the parser failed on it (")
