"""URL detection as twitter-text 3.1.0 does it (extractUrlsWithIndices), for X and Mastodon.

X counts every URL twitter-text finds as 23, so we must find exactly the same
ones. The rules, as observed in twitter-text's behaviour:

* A URL is preceded by the start of the text or by a character that is not an
  ASCII letter or digit, '@', '＠', '$', '#', '＃' or U+FFFE/U+FEFF/U+FFFF.
* Then an optional ``http://`` / ``https://`` (any case), a domain made of
  labels (subdomain labels may contain '_' and '-', the last label only '-'),
  ending in a TLD from twitter-text's own lists (or ``xn--…`` punycode); a TLD
  from the lists must be followed by the end or a character other than an
  ASCII letter/digit, '@', '+' or '-'. Then an optional ``:port``, path (with
  one level of balanced parentheses, and only certain characters allowed at
  the end, so trailing punctuation stays outside) and ``?query``. A path
  segment that starts with punctuation and ends in parentheses, as in
  ``/'(a)``, is cut at the '/' (a precedence slip in twitter-text's regex).
* Every label, as IDNA/punycode, must be 1–63 characters, and the whole URL
  at most 4096 (UTF-16 units, with ``https://`` assumed when absent).
* Without a scheme, a URL preceded by '-', '_', '.' or '/' is ignored, and only
  the ASCII part of the domain counts: the last ASCII domain found inside it is
  the URL, extended by the path (but not by a port or query without a path).
* ``t.co`` links with a scheme stop after the slug (and query); a slug over 40
  characters is not a link at all.

The character classes and TLD lists are data generated from the npm package
(`_twitter_data`); the matching logic is ours. Like twitter-text (a JavaScript
regex without the 'u' flag) we match on UTF-16 code units: a URL may begin
right after the first half of a surrogate pair, with the second half as the
start of its domain. Texts with characters beyond U+FFFF are therefore
matched as code units, and offsets are converted back to code points.
"""

from __future__ import annotations

import bisect
import functools
import re
from array import array
from collections.abc import Iterator
from typing import NamedTuple

from syndicate.compose._twitter_data import CASE_VARIANTS, CCTLDS, CLASSES, GTLDS

MAX_URL_LENGTH = 4096
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63


class UrlEntity(NamedTuple):
    """One URL as twitter-text reports it, with code-point offsets.

    `url` is its text; for a scheme-less URL inside a longer non-ASCII domain it
    is the ASCII part plus the path, and may be shorter than end - start.
    `skip_end` is where twitter-text's length count resumes: start + the URL
    text's length, which differs from `end` in that same case.
    """

    start: int
    end: int
    url: str
    skip_end: int


def _char_class(name: str) -> str:
    """A regex class for the named code-unit set.

    We only ever match strings of code units (nothing above U+FFFF), so a set
    that covers most of the BMP is written as the negation of its complement:
    the same meaning, and far cheaper for the regex compiler.
    """
    ranges = CLASSES[name]
    covered = sum(hi - lo + 1 for lo, hi in ranges)
    negate = covered > 0x8000
    if negate:
        complement, nxt = [], 0
        for lo, hi in ranges:
            if lo > nxt:
                complement.append((nxt, lo - 1))
            nxt = hi + 1
        if nxt <= 0xFFFF:
            complement.append((nxt, 0xFFFF))
        ranges = tuple(complement)
    parts = [re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" for lo, hi in ranges]
    return ("[^" if negate else "[") + "".join(parts) + "]"


def _ci(ch: str, *, ascii_scope: bool = False) -> str:
    """`ch` as JavaScript's case-insensitive (non-unicode) regex matches it.

    With `ascii_scope`, the caller wraps the pattern in ``(?ai:…)``, which folds
    exactly the ASCII letters (and, unlike Python's Unicode folding, does not
    let 'ſ' match 's' or 'K' match 'k' — JavaScript does not either).
    """
    variants = CASE_VARIANTS.get(ch, ch)
    if len(variants) == 1 or (ascii_scope and ch.isascii()):
        return re.escape(ch)
    return "[" + "".join(re.escape(v) for v in variants) + "]"


def _tld_pattern(boundary: str) -> str:
    """The TLD alternatives as a trie, in twitter-text's order, followed by `boundary`.

    Alternatives starting with different characters can never both match, so
    grouping them by first character (and so on down) keeps twitter-text's
    first-match choice while letting the engine reject a position quickly.
    One lookahead after the whole alternation is the same as one after each
    alternative: when it fails, the engine backtracks to the next alternative.
    """
    root: dict[str, object] = {}
    for index, tld in enumerate((*GTLDS, *CCTLDS)):
        node = root
        for ch in tld:
            key = _ci(ch, ascii_scope=True)
            child = node.setdefault(key, {})
            assert isinstance(child, dict)
            node = child
        node.setdefault("", index)  # first listed wins if a TLD appears twice

    def first_index(node: dict[str, object]) -> int:
        return min(v if isinstance(v, int) else first_index(v) for v in node.values())  # type: ignore[arg-type]

    def pattern(node: dict[str, object]) -> str:
        items: list[tuple[int, str]] = []
        for key, child in node.items():
            if isinstance(child, int):
                items.append((child, ""))
            else:
                assert isinstance(child, dict)
                items.append((first_index(child), key + pattern(child)))
        items.sort()
        alts = [p for _, p in items]
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return "(?ai:" + pattern(root) + ")" + boundary


@functools.cache
def _tld() -> str:
    boundary = f"(?={_char_class('tldBoundary')}|\\Z)"
    return f"(?:{_tld_pattern(boundary)}|[xX][nN]--[\\-0-9a-zA-Z]+)"


@functools.cache
def _ascii_domain() -> re.Pattern[str]:
    """twitter-text's validAsciiDomain: the ASCII-only domains inside a domain."""
    return re.compile(f"(?:{_char_class('asciiDomain')}+\\.)+{_tld()}")


@functools.cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """twitter-text's extractUrl and validTcoUrl."""
    tld = _tld()
    dc = _char_class("domain")
    # A label runs up to the next '.', starts and ends with a domain character;
    # it can never contain '.', so matching it possessively changes nothing.
    subdomain = f"(?:{dc}(?:[_\\-]*{dc})*+\\.)"
    domain_name = f"(?:{dc}(?:-*{dc})*+\\.)"
    g = _char_class("path")
    parens = f"\\((?:{g}+|(?:{g}*\\({g}+\\){g}*))\\)"
    # twitter-text splices its path-ending pattern "[chars]|(parens)" into the
    # segment unbracketed, so a segment is "G*(parens G*)*[chars]" OR a bare
    # "(parens)": "/'(a)" stops after "/", while "/x(a)" goes on. We keep that.
    path_segment = f"(?:(?:{g}*(?:{parens}{g}*)*{_char_class('pathEnd')}|{parens})|(?:@{g}+/))"
    query = f"\\?{_char_class('query')}*{_char_class('queryEnd')}"
    protocol = "".join(_ci(c) for c in "http") + _ci("s") + "?://"
    url = re.compile(
        f"(?P<before>{_char_class('preceding')}|^)"
        f"(?P<url>(?P<protocol>{protocol})?(?P<domain>{subdomain}*{domain_name}{tld})"
        f"(?::[0-9]+)?(?P<path>/{path_segment}*)?(?:{query})?)"
    )
    tco = re.compile(
        f"{protocol}{_ci('t')}\\.{_ci('c')}{_ci('o')}/([a-zA-Z0-9]+)(?:{query})?"
    )
    return url, tco


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _to_units(text: str) -> str:
    """`text` with every character beyond U+FFFF split into its two surrogates."""
    if text.isascii() or not _ASTRAL.search(text):
        return text
    wide = array("I", array("H", text.encode("utf-16-le", "surrogatepass")))
    return wide.tobytes().decode("utf-32-le", "surrogatepass")


def _from_units(units: str) -> str:
    """Inverse of _to_units: surrogate pairs joined again (a lone half stays alone)."""
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _punycode_length(label: str) -> int:
    """Length of Node's punycode.toASCII(label) (2.x: '.', '。', '．', '｡' separate labels)."""
    total = 0
    parts = re.split("[.\u3002\uff0e\uff61]", label)
    for part in parts:
        if not part.isascii():
            total += 4 + len(_from_units(part).encode("punycode"))
        else:
            total += len(part)
    return total + len(parts) - 1


def _valid_url(url: str, protocol: str, domain: str) -> bool:
    if domain.startswith("xn--") and not _ascii_domain().search(domain):
        return False
    if domain.isascii():
        if not all(0 < len(label) <= MAX_LABEL_LENGTH for label in domain.split(".")):
            return False
    else:
        for label in domain.split("."):
            n = _punycode_length(label)
            if n < 1 or n > MAX_LABEL_LENGTH:
                return False
    return len(protocol) + len(url) <= MAX_URL_LENGTH


def _complement(name: str) -> frozenset[str]:
    """The code units the named class does not accept (it accepts most of the BMP)."""
    outside: set[str] = set()
    nxt = 0
    for lo, hi in (*CLASSES[name], (0x10000, 0x10000)):
        outside.update(map(chr, range(nxt, lo)))
        nxt = hi + 1
    return frozenset(outside)


# A URL's domain ends in '.' + TLD, and every TLD (or xn--) starts with a letter.
_ANCHOR = re.compile("\\.[A-Za-z\\u0080-\\uffff]")
_LONGEST_PROTOCOL = len("https://")


@functools.cache
def _stops() -> tuple[frozenset[str], frozenset[str]]:
    """(characters that cannot precede a URL, characters that end a run of domain labels)."""
    return _complement("preceding"), _complement("domain") - {".", "_", "-"}


def _windows(units: str) -> list[tuple[int, int]]:
    """(first possible start, dot) for each '.' that may precede a TLD."""
    run_stop = _stops()[1]
    windows = []
    for anchor in _ANCHOR.finditer(units):
        dot = run = anchor.start()
        while run > 0 and units[run - 1] not in run_stop:
            run -= 1
        first = run - 1 - _LONGEST_PROTOCOL
        windows.append((first if first > 0 else 0, dot))
    return windows


def _matches(units: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """What twitter-text's extractUrl regex finds, scanning left to right.

    Rather than trying the regex at every position, we only try the places a
    match can start: a match holds a '.' followed by a TLD's first letter, and
    everything between its start and that dot is an optional protocol, then
    domain characters, dots, '_' and '-'. Positions are tried in order and each
    at most once, so the result is the same as a plain left-to-right scan.
    """
    url_re, _ = _patterns()
    not_preceding = _stops()[0]
    pos = 0  # the scan has consumed everything before this
    for first, dot in windows:
        if dot < pos:
            continue
        s = pos if pos > first else first
        while s < dot:
            if s == 0 or units[s] not in not_preceding:
                m = url_re.match(units, s)
                if m:
                    yield m
                    pos = s = m.end()
                    continue
            s += 1
        if pos < dot:
            pos = dot  # every start before the dot has been tried


def _unit_spans(units: str, windows: list[tuple[int, int]], without_protocol: bool) -> list[tuple[int, int, str]]:
    """(start, end, url) in UTF-16 code units, exactly as extractUrlsWithIndices."""
    _, tco = _patterns()
    found: list[tuple[int, int, str]] = []
    for m in _matches(units, windows):
        url, protocol, domain = m.group("url"), m.group("protocol"), m.group("domain")
        start, end = m.start("url"), m.end("url")
        if not _valid_url(url, protocol or "https://", domain):
            continue
        if protocol:
            t = tco.match(url)
            if t:
                if len(t.group(1)) > MAX_TCO_SLUG_LENGTH:
                    continue
                url = t.group(0)
                end = start + len(url)
            found.append((start, end, url))
            continue
        if not without_protocol or m.group("before")[-1:] in ("-", "_", ".", "/"):
            continue
        last = -1
        ascii_end = 0
        for a in _ascii_domain().finditer(domain):
            # twitter-text locates each ASCII domain with indexOf from the end of
            # the previous one, so a repeated string is found at its first place.
            ascii_start = domain.find(a.group(0), ascii_end)
            ascii_end = ascii_start + len(a.group(0))
            found.append((start + ascii_start, start + ascii_end, a.group(0)))
            last = len(found) - 1
        if last >= 0 and m.group("path"):
            s0, _, text0 = found[last]
            found[last] = (s0, end, text0 + url[len(domain) :])
    return found


def extract_urls(text: str, *, without_protocol: bool = True) -> list[UrlEntity]:
    """The URLs twitter-text finds in `text`, in order (Mastodon uses without_protocol=False)."""
    if "." not in text or (not without_protocol and "://" not in text):
        return []
    windows = _windows(text)
    if not windows:
        return []
    if text.isascii() or not _ASTRAL.search(text) or not any(_ASTRAL.search(text, f, d) for f, d in windows):
        # Code points and code units only part ways around characters beyond
        # U+FFFF; none is where a URL could start or lie, so match as they are.
        return [UrlEntity(s, e, u, s + len(u)) for s, e, u in _unit_spans(text, windows, without_protocol)]
    units = _to_units(text)
    spans = _unit_spans(units, _windows(units), without_protocol)

    # Where each pair starts, in code units: pair k sits at (its code-point index + k).
    pairs = [m.start() + k for k, m in enumerate(_ASTRAL.finditer(text))]

    def cp(i: int) -> int:
        # Pairs that start before i shift it by one each. Stopping inside a pair
        # leaves that character outside (twitter-text then weighs its second half
        # as 2, like the whole character), so its half counts too.
        return i - bisect.bisect_left(pairs, i)

    return [UrlEntity(cp(s), cp(e), _from_units(u), cp(s + len(u))) for s, e, u in spans]
