"""parse_feed: formats, encodings, the Dispatch rules, and XML entity bombs."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime

import pytest

from syndicate.errors import FeedError
from syndicate.model import Image
from syndicate.watch.fetch import fetch_feed
from syndicate.watch.parse import ParsedFeed, parse_feed
from watch.feedserver import FeedServer, Reply

URL = "https://example.org/blog/feed.xml"
MB = 1024 * 1024


def parse(doc: bytes | str, *, url: str = URL, content_type: str | None = None) -> ParsedFeed:
    data = doc.encode("utf-8") if isinstance(doc, str) else doc
    return parse_feed(data, url=url, feed_name="Blog", content_type=content_type)


def fail(doc: bytes | str, **kw: str) -> str:
    with pytest.raises(FeedError) as info:
        parse(doc, **kw)
    assert info.value.url == kw.get("url", URL)
    return info.value.reason


def rss(items: str, *, channel: str = "<title>Blog</title>", ns: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel>{channel}'
            f"{items}</channel></rss>")


# -- not a feed ---------------------------------------------------------------------------


def test_html_page_is_not_a_feed() -> None:
    page = "<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>"
    assert fail(page, content_type="text/html") == "not a feed: got an HTML page (text/html)"


@pytest.mark.parametrize("junk", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"hello world", b"   "])
def test_random_bytes_are_not_a_feed(junk: bytes) -> None:
    assert fail(junk).startswith("not a feed: ")


def test_malformed_xml_without_entries_is_an_error() -> None:
    reason = fail('<?xml version="1.0"?><rss version="2.0"><channel><title>x</titel></channel>')
    assert reason.startswith("malformed XML: mismatched tag (line 1, column ")


def test_malformed_xml_with_entries_is_salvaged() -> None:
    broken = rss("<item><title>Kept &amp; fine</title><link>https://example.org/k</link></item>"
                 "<item><title>Unclosed")
    feed = parse(broken)
    assert [d.title for d in feed.dispatches][:1] == ["Kept & fine"]


def test_empty_but_valid_feed_has_no_dispatches() -> None:
    feed = parse(rss("", channel="<title>Quiet</title><language>de</language>"))
    assert (feed.title, feed.language, feed.dispatches) == ("Quiet", "de", ())


# -- entity bombs ---------------------------------------------------------------------------


def _billion_laughs() -> str:
    decls = ['<!ENTITY lol "lol">', '<!ENTITY lol1 "' + "&lol;" * 10 + '">']
    decls += [f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(2, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(decls) + "\n]>\n"
            + rss("<item><title>&lol9;</title></item>").split("?>", 1)[1])


def _quadratic_blowup() -> str:
    # One 100 KB entity used 2,000 times: 200 MB once expanded. Without our guard,
    # feedparser's loose parser expands it (seconds, hundreds of MB).
    return ('<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 100_000 + '">\n]>\n'
            + rss("<item><title>" + "&a;" * 2_000 + "</title></item>").split("?>", 1)[1])


@pytest.mark.parametrize(
    ("doc", "expected"),
    [(_billion_laughs, "billion laughs"), (_quadratic_blowup, "would expand to 200,000,000")],
    ids=["billion-laughs", "quadratic-blowup"],
)
def test_entity_bombs_are_refused_in_small_memory(doc: object, expected: str) -> None:
    data = doc().encode()  # type: ignore[operator]
    tracemalloc.start()
    try:
        reason = fail(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert expected in reason and "entity bomb" in reason
    assert peak < 5 * MB, f"peak {peak / MB:.1f} MB"


def test_utf16_entity_bomb_is_refused_too() -> None:
    assert "entity bomb" in fail(_quadratic_blowup().encode("utf-16"))


def test_external_and_parameter_entities_are_refused() -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           + rss("<item><title>&x;</title></item>").split("?>", 1)[1])
    assert "external XML entity" in fail(xxe)
    pe = '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p "x">]>' + rss("").split("?>", 1)[1]
    assert "parameter entity" in fail(pe)


def test_harmless_entity_declarations_still_parse() -> None:
    doc = ('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY nbsp "&#160;"><!ENTITY me "Ana">]>'
           + rss("<item><title>By&nbsp;&me;</title><guid>g</guid></item>").split("?>", 1)[1])
    assert parse(doc).dispatches[0].title == "By Ana"  # nbsp collapses to a space in titles


def test_entity_text_inside_cdata_is_not_mistaken_for_a_bomb() -> None:
    body = '<![CDATA[<p>About <code><!DOCTYPE x [<!ENTITY a "&b;">]></code> attacks</p>]]>'
    feed = parse(rss(f"<item><title>XXE explained</title><description>{body}</description></item>"))
    assert feed.dispatches[0].title == "XXE explained"
    assert feed.dispatches[0].text.endswith("attacks")


# -- encodings ------------------------------------------------------------------------------

TEXTS = {
    "iso-8859-1": "Café à la crème, ½ prix",
    "windows-1252": "“Smart quotes” cost €5 – really",
    "shift_jis": "港の夜勤：動くクレーンは1台",
}


@pytest.mark.parametrize("encoding", list(TEXTS))
def test_encoding_declared_in_the_xml_prolog(encoding: str) -> None:
    text = TEXTS[encoding]
    doc = (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>{text}'
           f"</title><item><title>{text}</title><guid>g</guid></item></channel></rss>")
    feed = parse(doc.encode(encoding))
    assert (feed.title, feed.dispatches[0].title) == (text, text)


@pytest.mark.parametrize("encoding", list(TEXTS))
def test_encoding_declared_in_content_type_over_http(feed_server: FeedServer, encoding: str) -> None:
    text = TEXTS[encoding]
    doc = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
           f"<item><title>{text}</title><guid>g</guid></item></channel></rss>").encode(encoding)
    url = feed_server.route("/enc.xml", Reply(200, doc, {
        "Content-Type": f"application/rss+xml; charset={encoding}"}))
    fetched = fetch_feed(url)
    assert fetched.content is not None
    feed = parse_feed(fetched.content, url=fetched.final_url, feed_name="x",
                      content_type=fetched.content_type)
    assert feed.dispatches[0].title == text


# -- Dispatch rules ---------------------------------------------------------------------------


def test_relative_links_and_images_resolve_against_the_feed_url() -> None:
    items = ('<item><title>A</title><link>/posts/a?utm_source=rss&amp;id=7#top</link>'
             '<description>&lt;p&gt;x &lt;img src="../img/a.png" alt="A cat"&gt;&lt;/p&gt;</description>'
             "</item>")
    d = parse(rss(items, channel="<title>B</title><link>/</link>")).dispatches[0]
    assert d.url == "https://example.org/posts/a?id=7"
    assert d.id == d.url  # no guid: the canonical link is the id
    assert d.image == Image("https://example.org/img/a.png", "A cat")


def test_missing_guid_and_link_gives_a_stable_hash_id() -> None:
    def ids(title: str) -> list[str]:
        doc = rss(f"<item><title>{title}</title><pubDate>Tue, 10 Jun 2003 04:00:00 GMT</pubDate>"
                  "<description>Body</description></item>")
        return [d.id for d in parse(doc).dispatches]

    first = ids("Same")
    assert first == ids("Same") and first[0].startswith("sha256:") and len(first[0]) == 71
    assert ids("Other") != first


def test_duplicate_ids_are_kept_once() -> None:
    item = "<item><title>{}</title><guid>same</guid></item>"
    feed = parse(rss(item.format("first") + item.format("second")))
    assert [d.title for d in feed.dispatches] == ["first"]


def test_text_keeps_paragraphs_and_decodes_entities_once() -> None:
    content = ("<p>It&amp;#8217;s &amp;amp; fine</p><ul><li>one</li><li>two</li></ul>"
               "<p>a<br>b</p><script>alert(1)</script><iframe src='x'>no</iframe>")
    items = (f"<item><guid>g</guid><title>T</title><content:encoded><![CDATA[{content}]]>"
             "</content:encoded></item>")
    ns = 'xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    d = parse(rss(items, ns=ns)).dispatches[0]
    assert d.text == "It&#8217;s &amp; fine\n\none\ntwo\n\na\nb"
    assert d.summary == "It&#8217;s &amp; fine"  # no summary in the feed: the first paragraph


def test_media_description_is_alt_text_and_does_not_replace_the_body() -> None:
    # feedparser alone would put "MD" into the entry's content here (it treats
    # media:description as the entry's description).
    ns = 'xmlns:media="http://search.yahoo.com/mrss/"'
    items = ('<item><guid>g</guid><title>T</title><description>Real body</description>'
             '<media:content url="/m.jpg" medium="image" type="image/jpeg">'
             "<media:title>MT</media:title><media:description>MD</media:description>"
             '</media:content><media:thumbnail url="/t.jpg"/></item>')
    d = parse(rss(items, ns=ns)).dispatches[0]
    assert (d.text, d.summary, d.title) == ("Real body", "Real body", "T")
    assert d.image == Image("https://example.org/m.jpg", "MD")


def test_image_falls_back_to_thumbnail_then_enclosure() -> None:
    ns = 'xmlns:media="http://search.yahoo.com/mrss/"'
    thumb = ('<item><guid>1</guid><title>T</title><media:content url="/v.mp4" medium="video"/>'
             '<media:thumbnail url="/t.jpg"/><media:title>Thumb title</media:title></item>')
    encl = '<item><guid>2</guid><title>E</title><enclosure url="/e.png" type="image/png" length="1"/></item>'
    a, b = parse(rss(thumb + encl, ns=ns)).dispatches
    assert a.image == Image("https://example.org/t.jpg", "Thumb title")
    assert b.image == Image("https://example.org/e.png", "")


def test_author_is_a_name_never_a_bare_email_and_dates_are_utc() -> None:
    items = ("<item><guid>1</guid><title>A</title><author>ana@example.org (Ana R)</author>"
             "<pubDate>Tue, 10 Jun 2003 04:00:00 +0200</pubDate></item>"
             "<item><guid>2</guid><title>B</title><author>ana@example.org</author></item>"
             # feedparser alone reads this one as the name "ple" (it cuts TLDs at 4 letters)
             "<item><guid>3</guid><title>C</title><author>ed@harbour.example</author></item>"
             "<item><guid>4</guid><title>D</title><author>Bo Li &lt;bo@news.example&gt;</author></item>")
    a, b, c, d = parse(rss(items)).dispatches
    assert (a.author, b.author, c.author, d.author) == ("Ana R", None, None, "Bo Li")
    assert a.published == datetime(2003, 6, 10, 2, 0, tzinfo=UTC)
    assert b.published is None


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="https://example.org/atom/">
  <title type="html">News &amp;amp; notes</title><link href="/"/><id>urn:feed</id>
  <author><name>Feed Author</name></author>
  <entry xml:lang="fr"><title>Bonjour</title><id>urn:1</id><link href="posts/1"/>
    <updated>2026-01-02T03:04:05+01:00</updated>
    <summary type="html">&lt;p&gt;Résumé&lt;/p&gt;</summary>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Un</p><p>Deux</p></div></content>
    <category term="t1" label="Tag One"/><category term="t2"/><category term="T2"/>
  </entry>
  <entry><title>Hello</title><id>urn:2</id><link rel="alternate" href="https://example.org/2"/>
    <published>2026-01-01T00:00:00Z</published><updated>2026-01-03T00:00:00Z</updated>
    <content type="html">&lt;p&gt;Only content&lt;/p&gt;&lt;p&gt;more&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_atom_with_xml_lang_base_and_feed_author() -> None:
    feed = parse(ATOM, url="https://example.org/atom.xml")
    assert (feed.title, feed.language, feed.link) == ("News & notes", "en", "https://example.org/")
    fr, en = feed.dispatches
    assert (fr.language, en.language) == ("fr", "en")
    assert fr.url == "https://example.org/atom/posts/1"
    assert (fr.text, fr.summary) == ("Un\n\nDeux", "Résumé")
    assert fr.tags == ("t1", "t2")
    assert fr.published == datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)  # updated, no published
    assert en.published == datetime(2026, 1, 1, tzinfo=UTC)
    assert (fr.author, en.author) == ("Feed Author", "Feed Author")
    assert en.summary == "Only content"  # feedparser's copy of <content> is not a summary


def test_inline_image_resolves_against_the_bodys_xml_base() -> None:
    doc = ('<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>'
           '<entry><id>urn:i</id><title>I</title>'
           '<content type="html" xml:base="https://cdn.example/posts/">&lt;img src="pic.jpg"&gt;'
           "</content></entry></feed>")
    assert parse(doc).dispatches[0].image == Image("https://cdn.example/posts/pic.jpg", "")


RDF = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.org/"><title>RDF site</title><link>https://example.org/</link>
    <dc:language>ja</dc:language>
    <items><rdf:Seq><rdf:li rdf:resource="https://example.org/r1"/></rdf:Seq></items></channel>
  <item rdf:about="https://example.org/r1"><title>R1</title><link>https://example.org/r1</link>
    <description>First</description><dc:date>2026-02-03T04:05:06Z</dc:date>
    <dc:subject>Tokyo</dc:subject><dc:creator>Kenji</dc:creator></item>
</rdf:RDF>"""


def test_rss_1_0_rdf() -> None:
    feed = parse(RDF)
    assert (feed.title, feed.language) == ("RDF site", "ja")
    [d] = feed.dispatches
    assert (d.id, d.url, d.title, d.text) == ("https://example.org/r1",) * 2 + ("R1", "First")
    assert (d.tags, d.author, d.language) == (("Tokyo",), "Kenji", "ja")
    assert d.published == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)


# -- JSON Feed --------------------------------------------------------------------------------


def test_json_feed_1_1() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1", "title": "JSON Blog",
        "home_page_url": "https://example.org/", "language": "en-GB",
        "authors": [{"name": "Feed Person"}],
        "items": [
            {"id": 42, "url": "/j/1?fbclid=abc", "title": "One", "language": "pt-BR",
             "content_html": "<p>Olá &amp; adeus</p><p><img src='/i.jpg' alt='Sea'></p>",
             "summary": "Short", "tags": ["a", "A", "b"], "date_published": "2026-03-04T05:06:07-03:00",
             "authors": [{"name": "Item Person"}]},
            {"id": "2", "content_text": "Plain\n\nsecond para", "date_modified": "2026-03-05T00:00:00Z",
             "image": "https://cdn.example.org/x.jpg?sig=1"},
            {"id": "3", "title": "Attach", "content_text": "x",
             "attachments": [{"url": "/a.png", "mime_type": "image/png", "title": "Chart"}]},
            "not an item",
        ],
    }
    feed = parse(json.dumps(doc), url="https://example.org/feed.json")
    assert (feed.title, feed.language, feed.link) == ("JSON Blog", "en-GB", "https://example.org/")
    one, two, three = feed.dispatches
    assert (one.id, one.url, one.text, one.summary) == (
        "42", "https://example.org/j/1", "Olá & adeus", "Short")
    assert (one.tags, one.language, one.author) == (("a", "b"), "pt-BR", "Item Person")
    assert one.published == datetime(2026, 3, 4, 8, 6, 7, tzinfo=UTC)
    assert one.image == Image("https://example.org/i.jpg", "Sea")
    assert (two.text, two.summary, two.author, two.language) == (
        "Plain\n\nsecond para", "Plain", "Feed Person", "en-GB")
    assert two.published == datetime(2026, 3, 5, tzinfo=UTC)
    assert two.image == Image("https://cdn.example.org/x.jpg?sig=1", "")
    assert three.image == Image("https://example.org/a.png", "Chart")


def test_json_feed_1_0_author_and_errors() -> None:
    doc = {"version": "https://jsonfeed.org/version/1", "title": "Old", "author": {"name": "Solo"},
           "items": [{"id": "x", "content_text": "t"}]}
    assert parse(json.dumps(doc)).dispatches[0].author == "Solo"
    assert fail('{"error": "nope"}').startswith("not a feed: JSON without a JSON Feed version")
    assert fail('{"version": "https://jsonfeed.org/version/1.1", "items": [').startswith(
        "malformed JSON Feed: ")
