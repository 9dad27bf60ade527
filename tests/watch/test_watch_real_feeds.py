"""Real feeds as publishers write them (issue 15, items 1–3).

The right headline (a feed's nested <title>s never become the entry's), the
feeds other readers accept (JSON Feed's http version, XHTML DOCTYPEs, declared
entity sets, never loaded), and text as it should read (JSON Feed entities and
RFC 822 dates; relative links via xml:base, the site link, the feed's URL, never
a file:// one). Whole documents shaped like these live in tests/data/feeds/.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate.errors import FeedError
from syndicate.model import Image
from syndicate.watch.fetch import fetch_feed
from syndicate.watch.parse import ParsedFeed, parse_feed
from watch.feedserver import FeedServer, Reply

FEEDS = Path(__file__).resolve().parent.parent / "data" / "feeds"
URL = "https://feeds.example/blog/feed.xml"


def parse(doc: bytes | str, *, url: str = URL) -> ParsedFeed:
    data = doc.encode("utf-8") if isinstance(doc, str) else doc
    return parse_feed(data, url=url, feed_name="Blog")


def fetch_and_parse(location: str) -> ParsedFeed:
    fetched = fetch_feed(location)
    assert fetched.content is not None
    return parse_feed(fetched.content, url=fetched.final_url, feed_name="Blog",
                      content_type=fetched.content_type)


def rss(items: str, *, channel: str = "<title>Blog</title>", ns: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel>{channel}'
            f"{items}</channel></rss>")


# -- 1. every field from the entry's own element -----------------------------------------------

NESTED = (FEEDS / "rss2-nested-titles.xml").read_text("utf-8")
# The same document made ill-formed (an unclosed element at the end) so the loose parser reads it.
NESTED_LOOSE = NESTED.replace("</channel>", "<broken></channel>")


def test_feedparser_alone_reads_the_nested_elements_as_the_entrys() -> None:
    """The premise, checked against feedparser itself (6.0.x): `title_detail` (and where there is
    no title of the item's own, `title`) comes from nested elements, and so do summary and link."""
    import feedparser  # type: ignore[import-untyped]

    gauges, disk, photo = feedparser.parse(NESTED.encode()).entries
    assert (gauges.title, gauges.title_detail.value) == (
        "Moving the tide gauges to the new network", "Gauge photo")
    assert (disk.summary, disk.link) == ("Open Graph description, not the entry's",
                                         "https://harbour-eng.example/og/disk")
    assert (photo.title, photo.title_detail.value) == ("Only a media title here", "Picture Editor")


@pytest.mark.parametrize("doc", [NESTED, NESTED_LOOSE], ids=["well-formed", "ill-formed"])
def test_nested_titles_descriptions_and_links_never_become_the_entrys(doc: str) -> None:
    gauges, disk, photo = parse(doc).dispatches
    # An <image>'s title, then an author block's job title, came after the item's own.
    assert gauges.title == "Moving the tide gauges to the new network"
    assert gauges.author == "Mira Okafor"
    # An <og> block (title, description, link) and an og:title: none is the entry's.
    assert disk.title == "Why we stopped paging on disk space"
    assert (disk.text, disk.summary) == ("The alert fired 400 times a month.",) * 2
    assert disk.url == "https://harbour-eng.example/blog/disk-space"
    # No title of its own: not the media:title, not the author's job title.
    assert (photo.title, photo.text) == ("", "Photo of the week.")
    assert gauges.image == Image("https://harbour-eng.example/img/gauges.jpg",
                                 "A tide gauge on the east pier")


def test_a_nested_description_before_the_entrys_own_does_not_take_its_place() -> None:
    # feedparser alone stores the <og><description> as the summary, then takes the
    # item's own <description> for the *content* (the second one it sees).
    items = ("<item><guid>g</guid><title>T</title><og><description>Not this</description></og>"
             "<description>Own body</description></item>")
    d = parse(rss(items)).dispatches[0]
    assert (d.text, d.summary) == ("Own body", "Own body")


def test_an_entry_with_only_an_og_title_has_no_headline() -> None:
    items = ('<item><guid>g</guid><og:title>Social title</og:title><description>Body</description>'
             "</item>")
    d = parse(rss(items, ns='xmlns:og="http://ogp.me/ns#"')).dispatches[0]
    assert (d.title, d.text) == ("", "Body")


def test_ill_formed_entry_keeps_its_title_after_an_unclosed_empty_element() -> None:
    # The loose parser never closes <enclosure ...> or <br>: the title after them is still the item's.
    doc = ('<rss version="2.0"><channel><title>x</title><item><enclosure url="http://x.example/a.png"'
           ' type="image/png"><br><title>Still mine</title><guid>1</guid></item>'
           "<item><title>Second</title><guid>2</guid></item></channel></rss")
    assert [d.title for d in parse(doc).dispatches] == ["Still mine", "Second"]


def test_atom_author_block_with_a_title_does_not_rename_the_entry() -> None:
    doc = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
           "<entry><id>urn:1</id><title>Entry headline</title>"
           "<author><name>Ana</name><title>Staff writer</title></author>"
           "<link rel='alternate' href='https://a.example/1'/></entry></feed>")
    d = parse(doc).dispatches[0]
    assert (d.title, d.author, d.url) == ("Entry headline", "Ana", "https://a.example/1")


# -- 2. feeds others accept ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["http://jsonfeed.org/version/1", "https://jsonfeed.org/version/1",
                                     "https://jsonfeed.org/version/1.1", "http://jsonfeed.org/version/1.1"])
def test_json_feed_versions_with_http_or_https(version: str) -> None:
    doc = {"version": version, "title": "J", "items": [{"id": "1", "title": "One", "content_text": "x"}]}
    assert [d.title for d in parse(json.dumps(doc)).dispatches] == ["One"]


def test_json_without_a_json_feed_version_is_still_refused() -> None:
    doc = {"version": "https://example.org/version/1", "items": []}
    with pytest.raises(FeedError, match="JSON without a JSON Feed version"):
        parse(json.dumps(doc))


XHTML_DOCTYPE = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
                 '"{dtd}">')
ENTITY_SET = ('<!DOCTYPE rdf:RDF [\n<!ENTITY % HTMLlat1 PUBLIC "-//W3C//ENTITIES Latin 1 for XHTML//EN" '
              '"{dtd}">\n%HTMLlat1;\n]>')


@pytest.mark.parametrize("newline", ["", "\n"], ids=["same-line", "own-line"])
def test_xhtml_doctype_before_rss_decodes_html_entities(newline: str) -> None:
    doc = ('<?xml version="1.0" encoding="utf-8"?>' + newline
           + XHTML_DOCTYPE.format(dtd="http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd")
           + '<rss version="2.0"><channel><title>Caf&eacute;</title>'
           "<item><guid>g</guid><title>Cr&egrave;me &amp; br&ucirc;l&eacute;e &hellip; &bogus;</title>"
           "</item></channel></rss>")
    feed = parse(doc)
    assert feed.title == "Café"
    # Without the fix the strict parser silently skipped what it could not resolve: "Crme & brle".
    assert feed.dispatches[0].title == "Crème & brûlée … &bogus;"


def test_declared_entity_sets_and_dtds_are_never_fetched(feed_server: FeedServer) -> None:
    dtd = feed_server.route("/xhtml-lat1.ent", Reply(200, b'<!ENTITY eacute "EVIL">'))
    rdf = ('<?xml version="1.0"?>\n' + ENTITY_SET.format(dtd=dtd) + "\n"
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
           '<channel rdf:about="https://m.example/"><title>M</title><link>https://m.example/</link></channel>'
           '<item rdf:about="https://m.example/1"><title>Gr&uuml;&szlig;e, caf&eacute;</title>'
           "<link>https://m.example/1</link></item></rdf:RDF>")
    rss_doc = ('<?xml version="1.0"?>\n' + XHTML_DOCTYPE.format(dtd=dtd)
               + '\n<rss version="2.0"><channel><title>x</title><item><guid>g</guid>'
               "<title>caf&eacute;</title></item></channel></rss>")
    assert parse(rdf).dispatches[0].title == "Grüße, café"
    assert parse(rss_doc).dispatches[0].title == "café"
    assert feed_server.seen == []  # nothing was fetched, from either DOCTYPE


def test_entity_bombs_are_still_refused_under_an_entity_set() -> None:
    nested = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % s PUBLIC "x" "http://127.0.0.1:9/s.ent">%s;'
              '<!ENTITY a "&eacute;&eacute;"><!ENTITY b "&a;&a;">]>'
              + rss("<item><title>&b;</title></item>").split("?>", 1)[1])
    with pytest.raises(FeedError, match="billion laughs"):
        parse(nested)
    internal_pe = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p "&#60;!ENTITY x \'y\'>">%p;]>'
                   + rss("").split("?>", 1)[1])
    with pytest.raises(FeedError, match="parameter entity"):
        parse(internal_pe)


def test_named_references_in_cdata_stay_as_written() -> None:
    # Inside CDATA, "&eacute;" is text, not a reference: plain-text fields keep it.
    doc = ('<?xml version="1.0"?>\n' + XHTML_DOCTYPE.format(dtd="http://127.0.0.1:9/x.dtd")
           + '<rss version="2.0"><channel><title>x</title><item><guid isPermaLink="false">'
           "<![CDATA[id&eacute;]]></guid><title>t</title></item></channel></rss>")
    assert parse(doc).dispatches[0].id == "id&eacute;"


# -- 3. text as it should read ---------------------------------------------------------------------


def test_json_feed_title_and_summary_entities_are_decoded_once() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Desk &amp; Co",
           "items": [{"id": "1", "title": "Satechi&#039;s hub &#8211; &amp;amp; AT&T &copy 2026",
                      "summary": "USB&#x2011;C &lt;fast&gt;", "content_text": "Code: a &amp;&amp; b"}]}
    feed = parse(json.dumps(doc))
    d = feed.dispatches[0]
    assert feed.title == "Desk & Co"
    assert d.title == "Satechi's hub – &amp; AT&T &copy 2026"
    assert d.summary == "USB‑C <fast>"
    assert d.text == "Code: a &amp;&amp; b"  # content_text is the publisher's own plain text


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-03-04T05:06:07-03:00", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("2026-03-04t08:06:07z", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("2026-03-04T08:06:07.250Z", datetime(2026, 3, 4, 8, 6, 7, 250000, tzinfo=UTC)),
        ("Wed, 04 Mar 2026 09:06:07 +0100", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("Wed, 04 Mar 2026 08:06:07 GMT", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("4 Mar 2026 03:06:07 EST", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("Wed, 04 Mar 2026 08:06:07 -0000", datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)),
        ("last Tuesday", None),
    ],
)
def test_json_feed_dates_in_rfc_3339_and_rfc_822(written: str, expected: datetime | None) -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "items": [{"id": "1", "title": "t", "content_text": "x", "date_published": written}]}
    assert parse(json.dumps(doc)).dispatches[0].published == expected


LINKS_RSS = rss(
    "<item><guid>1</guid><title>Root</title><link>/posts/a</link>"
    '<description>&lt;img src="img/a.png"&gt;</description></item>'
    "<item><guid>2</guid><title>Path</title><link>posts/b?utm_source=x</link></item>"
    "<item><guid>3</guid><title>Absolute</title><link>https://other.example/c</link></item>",
    channel="<title>B</title><link>https://site.example/blog/</link>",
)


def test_relative_links_in_a_feed_read_from_a_file_resolve_against_its_site_link(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(LINKS_RSS, "utf-8")
    feed = fetch_and_parse(str(path))
    assert feed.link == "https://site.example/blog/"
    root, rel, absolute = feed.dispatches
    assert root.url == "https://site.example/posts/a"
    assert root.image == Image("https://site.example/blog/img/a.png", "")
    assert rel.url == "https://site.example/blog/posts/b"
    assert absolute.url == "https://other.example/c"


def test_a_file_feed_without_a_web_site_link_never_yields_file_urls(tmp_path: Path) -> None:
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
            '<link rel="self" href="https://pub.example/feeds/atom.xml"/>'
            '<entry><id>urn:1</id><title>Self</title><link href="/posts/1"/></entry></feed>')
    bare = rss("<item><guid>1</guid><title>None</title><link>/posts/1</link></item>")
    (tmp_path / "atom.xml").write_text(atom, "utf-8")
    (tmp_path / "bare.xml").write_text(bare, "utf-8")
    # The feed's own self link stands in for a web address it was not fetched from.
    assert fetch_and_parse(str(tmp_path / "atom.xml")).dispatches[0].url == "https://pub.example/posts/1"
    # Nothing to resolve against: no URL rather than file:///posts/1.
    feed = fetch_and_parse((tmp_path / "bare.xml").as_uri())
    assert (feed.link, feed.dispatches[0].url) == (None, "")


def test_xml_base_comes_before_the_site_link(tmp_path: Path) -> None:
    atom = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xml:base="https://cdn.example/base/"><title>A</title><link href="https://site.example/"/>'
            '<entry><id>urn:1</id><title>T</title><link href="posts/1"/>'
            '<content type="html">&lt;img src="i.png"&gt;</content></entry></feed>')
    (tmp_path / "a.xml").write_text(atom, "utf-8")
    d = fetch_and_parse(str(tmp_path / "a.xml")).dispatches[0]
    assert d.url == "https://cdn.example/base/posts/1"
    assert d.image == Image("https://cdn.example/base/i.png", "")


def test_relative_links_over_http_use_the_site_link_then_the_final_feed_url(feed_server: FeedServer) -> None:
    feed_server.route("/feeds/current.xml", Reply(200, LINKS_RSS.encode(),
                                                  {"Content-Type": "application/rss+xml"}))
    no_site = rss("<item><guid>1</guid><title>R</title><link>/posts/a</link></item>"
                  "<item><guid>2</guid><title>P</title><link>b</link></item>",
                  channel="<title>B</title><link>/</link>")
    feed_server.route("/feeds/plain.xml", Reply(200, no_site.encode(), {"Content-Type": "application/rss+xml"}))
    moved = feed_server.route("/old", Reply(301, b"", {"Location": "/feeds/plain.xml"}))
    root = feed_server.url("/")

    with_site = fetch_and_parse(feed_server.url("/feeds/current.xml"))
    assert [d.url for d in with_site.dispatches] == [
        "https://site.example/posts/a", "https://site.example/blog/posts/b", "https://other.example/c"]

    # The site link "/" is itself relative: it resolves against where the feed was
    # finally fetched from (after the redirect), and so do the entries' links.
    plain = fetch_and_parse(moved)
    assert plain.link == root
    assert [d.url for d in plain.dispatches] == [root + "posts/a", root + "b"]


def test_ids_keep_what_earlier_versions_computed_when_only_the_url_moves(tmp_path: Path) -> None:
    """An entry without a guid is identified by its link. Resolving links against the
    site link first must not change that id (the entry would be posted again after an
    upgrade): the id still resolves against the feed's own address, as before."""
    doc = rss("<item><title>Path</title><link>posts/b</link></item>",
              channel="<title>B</title><link>https://site.example/</link>")
    over_http = parse(doc).dispatches[0]
    assert over_http.url == "https://site.example/posts/b"
    assert over_http.id == "https://feeds.example/blog/posts/b"
    path = tmp_path / "feed.xml"
    path.write_text(doc, "utf-8")
    from_file = fetch_and_parse(str(path)).dispatches[0]
    assert from_file.url == "https://site.example/posts/b"
    assert from_file.id.startswith("sha256:")  # as before: a file:// link was no id
