"""HTML from a feed → the plain text posts are made of.

Feed bodies are HTML fragments. Posts are plain text, so `html_to_text` keeps the
structure a reader would notice and drops the rest:

* block elements (p, div, headings, blockquote, figure, table, …) become
  paragraphs separated by a blank line ("\\n\\n");
* list items, table rows and definition terms go on their own lines;
* `<br>` is a newline (two in a row make a paragraph break);
* `<pre>` keeps its line breaks (not its indentation);
* script, style, iframe, noscript, template, svg and the document head are dropped
  with everything inside them;
* entities are decoded exactly once: `&amp;#8217;` is the text "&#8217;", not "’";
* other whitespace runs collapse to one space; lines are stripped.

`first_image` finds the first real `<img>` (not a 1×1 tracking pixel) for a
dispatch whose feed names no image of its own.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html legend "
    "main menu nav ol p pre section summary table tbody tfoot thead ul".split()
)
_LINES = frozenset({"li", "tr", "dt", "dd", "option"})
_CELLS = frozenset({"td", "th"})
_DROPPED = frozenset(
    {"script", "style", "iframe", "noscript", "template", "svg", "math", "head", "object",
     "embed", "select", "textarea", "button"}
)  # fmt: skip
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_SPACE = re.compile(r"[ \t\n\r\f\v\u00a0]+")
_NONE, _LINE, _PARA = 0, 1, 2


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []  # finished text, breaks included
        self.pending = _NONE  # strongest break requested since the last text
        self.brs = 0  # consecutive <br>s since the last text
        self.space = False  # whitespace seen since the last text
        self.skip_depth = 0  # inside script/style/...: ignore everything
        self.skip_tag = ""
        self.pre = 0

    # -- structure -----------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag in _DROPPED:
            if tag not in _VOID:
                self.skip_depth, self.skip_tag = 1, tag
            return
        self._structure(tag)
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.skip_depth and tag not in _DROPPED:
            self._structure(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            if tag == self.skip_tag:
                self.skip_depth -= 1
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in _BLOCKS:
            self._brk(_PARA)
        elif tag in _LINES:
            self._brk(_LINE)

    def _structure(self, tag: str) -> None:
        if tag == "br":
            self.brs += 1
            self._brk(min(self.brs, _PARA))
        elif tag in _BLOCKS:
            self._brk(_PARA)
        elif tag in _LINES:
            self._brk(_LINE)
        elif tag in _CELLS:
            self.space = True

    def _brk(self, level: int) -> None:
        self.pending = max(self.pending, level)

    # -- text ------------------------------------------------------------------------
    def handle_data(self, data: str) -> None:
        if self.skip_depth or not data:
            return
        if not self.pre:
            self._words(data)
            return
        for i, segment in enumerate(data.split("\n")):
            if i:  # a newline inside <pre> counts like a <br>
                self.brs += 1
                self._brk(min(self.brs, _PARA))
            self._words(segment)

    def _words(self, data: str) -> None:
        if not data:
            return
        if data[0].isspace():
            self.space = True
        words = _SPACE.sub(" ", data).strip()
        if words:
            if self.out and self.pending:
                self.out.append("\n\n" if self.pending == _PARA else "\n")
            elif self.out and self.space:
                self.out.append(" ")
            self.out.append(words)
            self.pending, self.brs, self.space = _NONE, 0, False
        if data[-1].isspace():
            self.space = True

    def text(self) -> str:
        return "\n".join(line.strip() for line in "".join(self.out).split("\n")).strip()


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (rules in the module docstring)."""
    if not html:
        return ""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return collector.text()


def plain_text(text: str) -> str:
    """Tidy text a feed already gives as plain text: paragraphs kept, other whitespace collapsed."""
    paragraphs = re.split(r"\n[ \t\r\f\v]*\n\s*", text.replace("\r\n", "\n").strip())
    cleaned = ("\n".join(_SPACE.sub(" ", ln).strip() for ln in p.split("\n")) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def first_paragraph(text: str) -> str:
    """The first paragraph of plain text (the lede), used when a feed gives no summary."""
    return text.strip().split("\n\n", 1)[0].strip()


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "img" or self.found:
            return
        a = {k: (v or "") for k, v in attrs}
        src = (a.get("src") or a.get("data-src") or "").strip()
        if not src or src.startswith("data:"):
            return
        if a.get("width", "").strip() in ("0", "1") or a.get("height", "").strip() in ("0", "1"):
            return  # a tracking pixel, not a picture
        self.found = (src, _SPACE.sub(" ", a.get("alt", "")).strip())

    handle_startendtag = handle_starttag


def first_image(html: str) -> tuple[str, str] | None:
    """(src, alt) of the first real image in an HTML fragment; src as written (maybe relative)."""
    if not html or "<img" not in html.lower():
        return None
    finder = _ImageFinder()
    finder.feed(html)
    finder.close()
    return finder.found
