"""html_to_text, first_image and canonical_url: the small pure functions."""

from __future__ import annotations

import pytest

from syndicate.watch.canonical import canonical_url
from syndicate.watch.htmltext import first_image, html_to_text, plain_text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<div><p>Nested</p></div>tail", "Nested\n\ntail"),
        ("<ul><li>a</li><li>b <em>c</em></li></ul><ol><li>d</li></ol>", "a\nb c\n\nd"),
        ("x<br>y<br/>z<br><br>w", "x\ny\nz\n\nw"),
        ("  lots\n of \t  space  ", "lots of space"),
        ("a&amp;#8217;b &amp;amp; &#8217; &lt;tag&gt;", "a&#8217;b &amp; ’ <tag>"),
        ("<script>var x = '<p>no</p>';</script><style>p{}</style><iframe>fallback</iframe>ok", "ok"),
        ("<noscript><img src=x></noscript><template><p>t</p></template>kept", "kept"),
        ("<h2>Head</h2>Body", "Head\n\nBody"),
        ("<pre>line 1\nline 2</pre>", "line 1\nline 2"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table>", "1 2\n3"),
        ("<p>&nbsp;</p><p>After empty</p>", "After empty"),
        ("<b>bold</b><i>italic</i> <a href='/x'>link</a>", "bolditalic link"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_plain_text_keeps_paragraphs_and_collapses_the_rest() -> None:
    assert plain_text("  a  b\r\n\r\n\n  c\nd  ") == "a b\n\nc\nd"


def test_first_image_skips_pixels_and_data_uris() -> None:
    html = ('<img src="/pixel.gif" width="1" height="1"><img src="data:image/png;base64,xx">'
            '<p><img data-src="/lazy.jpg" alt=" A  cat "></p><img src="/second.jpg">')
    assert first_image(html) == ("/lazy.jpg", "A cat")
    assert first_image("<p>no images</p>") is None


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.COM:443/a?utm_source=rss&utm_medium=x&id=5#frag",
         "https://example.com/a?id=5"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/p", "http://example.com:8080/p"),
        ("https://e.org/p?b=2&fbclid=1&a=1&GCLID=2&mc_cid=3&mc_eid=4&ref=tw&ref_src=x",
         "https://e.org/p?b=2&a=1"),
        ("https://e.org/p?igshid=1&yclid=2&_hsenc=3&_hsmi=4&cmpid=5&ocid=6&dclid=7&msclkid=8",
         "https://e.org/p"),
        ("https://e.org/p?q=a%20b&flag&x=1+2&utm_campaign=z", "https://e.org/p?q=a%20b&flag&x=1+2"),
        ("https://e.org/p?", "https://e.org/p"),
        ("https://user@e.org/p", "https://user@e.org/p"),
        ("https://[::1]:443/p", "https://[::1]/p"),
        ("  https://e.org/p  ", "https://e.org/p"),
        ("mailto:a@example.org", "mailto:a@example.org"),
        ("not a url", "not a url"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical  # idempotent
